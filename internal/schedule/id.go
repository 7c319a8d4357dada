package schedule

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"time"
)

// tickID returns the deterministic task ID of entry id for tenant at
// tick: every scheduler computes the same one, so that a tick enqueued
// twice (after a failover) is a duplicate of itself.
func tickID(id, tenant string, tick time.Time) string {
	h := sha256.New()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(tick.UnixNano())))
	return "S" + idEncoding.EncodeToString(h.Sum(nil)[:16])
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// offset returns the stable offset in [0, spread) of tenant's task of
// entry id.
func offset(id, tenant string, spread time.Duration) time.Duration {
	if spread <= 0 {
		return 0
	}
	sum := sha256.Sum256([]byte(id + "\x00" + tenant))
	return time.Duration(binary.BigEndian.Uint64(sum[:8]) % uint64(spread))
}
