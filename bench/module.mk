# Benchmarks: built by `make bench`, run by hand (see bench/README.md).
BENCHES += $(B)/bench/job_pickup

$(B)/bench/job_pickup: $(B)/bench/job_pickup.o $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_DB) $(PKG_CRYPT))

# Job log append with the per-job cap (bench/README.md, job log).
BENCHES += $(B)/bench/job_log
$(B)/bench/job_log: $(B)/bench/job_log.o $(LIB)
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_DB) $(PKG_CRYPT))

# The kernel's floor under the SSE fan-out (bench/README.md, left4me-web).
BENCHES += $(B)/bench/sse_floor
$(B)/bench/sse_floor: $(B)/bench/sse_floor.o
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^ -lpthread

# 1,500 held connections from 8 loopback addresses against /healthz
# (bench/README.md, left4me-web connections; run by bench/conn_flood.sh).
BENCHES += $(B)/bench/conn_flood
$(B)/bench/conn_flood: $(B)/bench/conn_flood.o
	$(CC) $(L4M_LDFLAGS) $(LDFLAGS) -o $@ $^

.PHONY: bench
bench: all $(BENCHES)
