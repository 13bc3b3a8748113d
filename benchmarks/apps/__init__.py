"""The alternatives the web-load benchmark serves next to the examples (never used by them).

``BENCH_CONTENDER`` picks the contender of a process, so each app server
holds one way of reaching Redis and its workers' RSS is that contender's.
"""
