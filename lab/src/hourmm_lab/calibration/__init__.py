"""The pricer calibration study behind `hourmm calibrate`.

In: a 1-minute Binance candle file. Out: out-of-sample Brier score, log loss and reliability of
candidate fair-value models at fixed times remaining, so the default pricer is chosen on evidence.
Pure computation (no IO) except `candles.load_minute_candles` and the CLI in `hourmm_lab.calibrate`.
"""
