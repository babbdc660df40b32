"""CPU speed check for record.sh: a pure-Python loop on one core (about the same ms = about the same machine speed)."""
import time
t = time.perf_counter(); s = 0
for i in range(2_000_000): s += i * i
print(f"{(time.perf_counter() - t) * 1e3:.0f} ms")
