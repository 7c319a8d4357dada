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
	"time"
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

// signedVersion is the envelope version of signed tasks: its signature
// covers the version and the deadline too (signatureV2). Unsigned tasks
// keep EnvelopeVersion, which workers of every release read; signatures of
// version 1, made before the deadline was signed, still verify with their
// old coverage (signatureV1), so that tasks queued before an upgrade run.
const signedVersion = 2

// sign stamps e with the version of signed envelopes and the current key's
// ID and signature.
func (s *signer) sign(e *Envelope) {
	e.Version = signedVersion
	e.KeyID = s.current.ID
	e.Sig = signatureV2(s.current.Secret, e)
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
	// The version picks what the signature covers. Rewriting it cannot
	// move a signature from one coverage to the other: each starts with
	// its own label, so a version 2 signature never matches a version 1
	// message, and the other way round.
	var want string
	switch e.Version {
	case 1:
		want = signatureV1(secret, e)
	case signedVersion:
		want = signatureV2(secret, e)
	default:
		return fmt.Errorf("%w of envelope version %d, which this worker does not sign", errSignature, e.Version)
	}
	if !hmac.Equal([]byte(e.Sig), []byte(want)) {
		return fmt.Errorf("%w does not match: the task was altered or signed with another secret for key %q", errSignature, e.KeyID)
	}
	return nil
}

// requeueReset clears what RequeueDead resets in env, a dead task: its
// attempts, last error and deadline. The deadline is signed, so with
// signing keys env must verify first, and is signed again with the current
// key: a dead record forged or altered in Redis is refused here, not
// laundered into a valid task.
func (c *Client) requeueReset(env *Envelope) error {
	if c.signer != nil {
		if err := c.signer.verify(env); err != nil {
			return err
		}
	}
	env.Attempt, env.Error, env.Deadline, env.Due = 0, "", 0, time.Now().UnixMilli()
	if c.signer != nil {
		c.signer.sign(env)
	}
	return nil
}

// signatureV2 returns the HMAC-SHA256 of every field of e that a worker
// acts on and that nothing but the producer writes: the version, ID, task,
// tenant, queue, arguments, retries, timeout, deadline, enqueue time and
// headers. Left out are the attempt count and last error, which workers
// rewrite on every retry without the keys of the producers, and the key ID
// and signature themselves. Each field is length-prefixed, so that no two
// envelopes share a message.
func signatureV2(secret []byte, e *Envelope) string {
	m := hmac.New(sha256.New, secret)
	put := func(s string) {
		writeLen(m, len(s))
		m.Write([]byte(s))
	}
	put("tenantgen/envelope/v2")
	put(strconv.Itoa(e.Version))
	putCommon(put, m, e)
	put(strconv.FormatInt(e.Deadline, 10))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signatureV1 returns the signature of version 1 envelopes, kept to verify
// tasks signed before the deadline was: the fields of signatureV2 but the
// version and the deadline.
func signatureV1(secret []byte, e *Envelope) string {
	m := hmac.New(sha256.New, secret)
	put := func(s string) {
		writeLen(m, len(s))
		m.Write([]byte(s))
	}
	put("tenantgen/envelope/v1")
	putCommon(put, m, e)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// putCommon writes the fields that both signature versions cover, in the
// order of version 1.
func putCommon(put func(string), m hash.Hash, e *Envelope) {
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
}

func writeLen(h hash.Hash, n int) {
	var b [binary.MaxVarintLen64]byte
	h.Write(b[:binary.PutUvarint(b[:], uint64(n))])
}
