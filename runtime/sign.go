package runtime

// SigningKey is a secret that signs and verifies tasks (see
// Config.SigningKeys). Its ID travels with each task it signs, so that
// workers know which key to verify with.
type SigningKey struct {
	ID     string
	Secret []byte // at least 32 random bytes
}
