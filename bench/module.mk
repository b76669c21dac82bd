# Benchmarks: built by `make bench`, run by hand (see bench/README.md).
BENCHES += $(B)/bench/job_pickup

$(B)/bench/job_pickup: $(B)/bench/job_pickup.o $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_DB) $(PKG_CRYPT))

.PHONY: bench
bench: all $(BENCHES)
