package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// secretBox encrypts secrets that must be read back (channel passwords) with
// AES-256-GCM. Its key lives in a file outside the database, so a copy of the
// database alone does not reveal them; the restore runbook says to back the
// key up once at install.
type secretBox struct {
	aead cipher.AEAD
	key  []byte
}

// openSecretBox reads the key file, creating it with a fresh random key when
// it does not exist.
func openSecretBox(path string) (*secretBox, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		raw = []byte(hex.EncodeToString(key) + "\n")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("secret key file %s: want 64 hex digits", path)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &secretBox{aead: aead, key: key}, nil
}

func (b *secretBox) seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, []byte(plain), nil)), nil
}

func (b *secretBox) open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("stored secret is corrupt")
	}
	plain, err := b.aead.Open(nil, raw[:b.aead.NonceSize()], raw[b.aead.NonceSize():], nil)
	if err != nil {
		return "", errors.New("stored secret cannot be decrypted: wrong secret.key?")
	}
	return string(plain), nil
}

// hashToken hashes a high-entropy API secret for storage and lookup. A plain
// SHA-256 suffices because the secret is 32 random bytes, not a password.
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SessionKeys derives the keys that sign and encrypt console session
// cookies from secret.key, so sessions survive a restart and a copy of the
// database alone cannot forge them.
func (db *DB) SessionKeys() (auth, enc []byte) {
	a := sha256.Sum256(append([]byte("smsgw session auth\x00"), db.box.key...))
	e := sha256.Sum256(append([]byte("smsgw session enc\x00"), db.box.key...))
	return a[:], e[:]
}
