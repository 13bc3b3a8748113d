"""Benchmarks of redis-pool-integrations against the alternatives; see README.md."""
