# Benchmarks: built by `make bench`, run by hand (see bench/README.md).
BENCHES :=
.PHONY: bench
bench: all $(BENCHES)
