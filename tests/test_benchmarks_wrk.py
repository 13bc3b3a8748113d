"""The web-load benchmark reads wrk's report: units, percentiles and errors."""

from __future__ import annotations

WRK_OUTPUT = """Running 4s test @ http://127.0.0.1:8000/hits
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.21ms    2.10ms  40.12ms   80.00%
    Req/Sec     2.58k   120.00     2.80k    70.00%
  Latency Distribution
     50%  850.00us
     75%    7.00ms
     90%    9.00ms
     99%    1.20s
  10312 requests in 4.00s, 1.85MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:   2577.93
Transfer/sec:    473.11KB
"""


def test_wrk_output_is_parsed_with_units_and_errors() -> None:
    from benchmarks.web import parse_wrk

    assert parse_wrk(WRK_OUTPUT) == {
        "requests": 10312,
        "rps": 2577.93,
        "p50_ms": 0.85,
        "p99_ms": 1200.0,
        "errors": 6,
    }
