# Sourced by the golden scripts: the compile targets every case covers.
GOLDEN_TARGETS="plan json nft pf wg routes sysctl"
