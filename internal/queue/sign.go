package queue

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
)

// SigningKey is a secret that signs and verifies envelopes, as
// runtime.SigningKey documents. Its ID travels with each envelope it signs,
// so that workers know which key to verify with.
type SigningKey struct {
	ID     string
	Secret []byte // at least 32 random bytes
}

// errSignature marks a task whose signature is missing or wrong.
var errSignature = errors.New("tenantgen: task signature")

// signer signs and verifies envelopes with a key ring.
type signer struct {
	current SigningKey
	byID    map[string][]byte
}

// newSigner returns a signer for keys, or nil if there are none.
func newSigner(keys []SigningKey) *signer {
	if len(keys) == 0 {
		return nil
	}
	s := &signer{current: keys[0], byID: make(map[string][]byte, len(keys))}
	for _, k := range keys {
		s.byID[k.ID] = k.Secret
	}
	return s
}

// sign stamps e with the current key's ID and signature.
func (s *signer) sign(e *Envelope) {
	e.KeyID = s.current.ID
	e.Sig = signature(s.current.Secret, e)
}

// verify reports why e's signature does not verify, if it does not.
func (s *signer) verify(e *Envelope) error {
	if e.Sig == "" {
		return fmt.Errorf("%w missing: this worker accepts only signed tasks (Config.SigningKeys); enqueue with an App that has the same keys", errSignature)
	}
	secret, ok := s.byID[e.KeyID]
	if !ok {
		return fmt.Errorf("%w made with unknown key %q: add the key to this worker's Config.SigningKeys", errSignature, e.KeyID)
	}
	if !hmac.Equal([]byte(e.Sig), []byte(signature(secret, e))) {
		return fmt.Errorf("%w does not match: the task was altered or signed with another secret for key %q", errSignature, e.KeyID)
	}
	return nil
}

// signature returns the HMAC-SHA256 of the fields of e that must not
// change between enqueue and execution: ID, task, tenant, queue,
// arguments, retries, timeout, enqueue time and headers. Attempts, errors
// and the deadline are left out: workers and RequeueDead change them; so
// is the format version, which a newer worker may rewrite. Each field is
// length-prefixed, so that no two envelopes share a message.
func signature(secret []byte, e *Envelope) string {
	m := hmac.New(sha256.New, secret)
	put := func(s string) {
		writeLen(m, len(s))
		m.Write([]byte(s))
	}
	put("tenantgen/envelope/v1")
	put(e.ID)
	put(e.Name)
	put(e.Tenant)
	put(e.Queue)
	put(string(e.Args))
	put(strconv.Itoa(e.Retries))
	put(strconv.FormatInt(e.Timeout, 10))
	put(strconv.FormatInt(e.Enqueued, 10))
	writeLen(m, len(e.Headers))
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		put(k)
		put(e.Headers[k])
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func writeLen(h hash.Hash, n int) {
	var b [binary.MaxVarintLen64]byte
	h.Write(b[:binary.PutUvarint(b[:], uint64(n))])
}
