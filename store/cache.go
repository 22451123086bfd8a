package store

import (
	"sync"
	"time"
)

// cacheTTL is how long a cached authentication or signature check holds.
// Changes made through this process clear the caches at once; changes made
// by another process (the CLI) show within this time.
const cacheTTL = time.Second

// ttlCache is a small map whose entries expire. It holds the answers every
// API call needs (who is calling, may it sign so), which cost a recursive
// department query each: a quarter of the server's work per single-number
// send before.
type ttlCache[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v       V
	expires time.Time
}

// maxCached bounds the map; at the bound it starts again empty.
const maxCached = 10000

func (c *ttlCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || time.Now().After(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[K]ttlEntry[V])
	}
	c.m[k] = ttlEntry[V]{v, time.Now().Add(cacheTTL)}
}

func (c *ttlCache[K, V]) clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}

// forgetAccess clears what the caches know about keys, departments and
// signatures: called by every change to them.
func (db *DB) forgetAccess() {
	db.principals.clear()
	db.signatures.clear()
	db.ancestors.clear()
	db.payers.reset()
}

// payerCache maps a department to the department whose account its sends
// draw on (0: unmetered), for the writer's debits: the walk up the tree
// was a tenth of the accept path. Accounts are never removed; creating
// one or moving a department resets it, and a cached account that turns
// out missing (its creation rolled back) resets it too (chargeSend).
type payerCache struct {
	mu sync.Mutex
	m  map[int64]int64
}

func (c *payerCache) get(dept int64) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[dept]
	return v, ok
}

func (c *payerCache) put(dept, payer int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[int64]int64)
	}
	c.m[dept] = payer
}

func (c *payerCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}
