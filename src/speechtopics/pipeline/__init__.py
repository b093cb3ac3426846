"""Pipeline layer: stages, their cache keys, the run loop, the manifest and run history."""
