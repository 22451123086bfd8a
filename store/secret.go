package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// secretBox encrypts secrets that must be read back (channel passwords, API
// secrets for signed requests and callbacks) with
// AES-256-GCM. Its key lives in a file outside the database, so a copy of the
// database alone does not reveal them; the restore runbook says to back the
// key up once at install.
type secretBox struct {
	aead cipher.AEAD
	key  []byte
}

// openKey loads the key that encrypts stored secrets and checks that it
// opens every secret sealed in the database. A missing or foreign key used
// to start the server with a fresh key: it then accepted messages its
// channels could never send (their passwords unreadable). So a new key is
// made only while nothing is sealed yet (a new data folder); otherwise a
// missing or wrong key refuses, saying where the backed-up key goes.
func (db *DB) openKey(ctx context.Context) (*secretBox, error) {
	box, _, err := loadKey(ctx, db.wdb, db.opts.KeyPath, true)
	return box, err
}

// loadKey reads the key file at path and checks that it opens every secret
// sealed in the database q, returning how many it opened. When the file is
// missing and nothing is sealed, create says whether to make a new key (else
// the box is nil).
func loadKey(ctx context.Context, q *sql.DB, path string, create bool) (*secretBox, int, error) {
	channels, keys, err := sealedSecrets(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	total := len(channels) + len(keys)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if total > 0 {
			return nil, 0, fmt.Errorf("找不到密钥文件 secret.key，数据库中加密保存的 %d 个通道密码和 %d 个 API 密钥无法读取，不会生成新密钥 "+
				"(the key file %s is missing, and this database holds secrets sealed with it: copy the secret.key backed up at install "+
				"(for a restored copy: the primary's) to %s, then start again)", len(channels), len(keys), path, path)
		}
		if !create {
			return nil, 0, nil
		}
		box, err := createSecretBox(path)
		return box, 0, err
	} else if err != nil {
		return nil, 0, err
	}
	box, err := newSecretBox(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("密钥文件 secret.key 已损坏 (the key file %s is damaged: %v; copy the secret.key backed up at install to %s, then start again)", path, err, path)
	}
	var badChannels, badKeys int
	for _, s := range channels {
		if _, err := box.open(s); err != nil {
			badChannels++
		}
	}
	for _, s := range keys {
		if _, err := box.open(s); err != nil {
			badKeys++
		}
	}
	if badChannels+badKeys > 0 {
		return nil, 0, fmt.Errorf("密钥文件 secret.key 与数据库不符，%d 个通道密码和 %d 个 API 密钥无法解密 "+
			"(the key file %s does not open %d of the %d secrets stored in this database: it is not the key they were sealed with; "+
			"copy the secret.key backed up at install (for a restored copy: the primary's) to %s, then start again)",
			badChannels, badKeys, path, badChannels+badKeys, total, path)
	}
	return box, total, nil
}

// sealedSecrets returns the secrets stored sealed with the key: channel
// passwords and API keys' secrets (which also sign their callbacks).
func sealedSecrets(ctx context.Context, q *sql.DB) (channels, keys []string, err error) {
	if channels, err = selectColumn[string](ctx, q, `select password_enc from channels where password_enc != ''`); err != nil {
		return nil, nil, err
	}
	keys, err = selectColumn[string](ctx, q, `select secret_enc from api_keys where secret_enc != ''`)
	return channels, keys, err
}

// createSecretBox writes a new random key to path, for a new data folder.
func createSecretBox(path string) (*secretBox, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	raw := []byte(hex.EncodeToString(key) + "\n")
	// Written whole to a temporary file, then linked into place: a crash
	// never leaves an empty or partial key (which the next start would
	// refuse as damaged), and the link fails rather than replace a key
	// another process has just put there.
	tmp := path + ".new"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	if _, err := f.Write(raw); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp, path); err != nil {
		return nil, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // the new name durable too
		d.Close()
	}
	return newSecretBox(raw)
}

// newSecretBox makes the box from the key file's contents.
func newSecretBox(raw []byte) (*secretBox, error) {
	key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, errors.New("want 64 hex digits")
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
