"""The pure core of the pricer: typed events in, hour context, features, fair value and
snapshots out. No IO, no clock reads, no logging: time arrives as an argument."""
