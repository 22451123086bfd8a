package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"smsgw/app"
)

// Calls refused to someone not signed in (a wrong API key, a failed login)
// cost their sender nothing, so they are counted rather than stored one by
// one (issue 14, item 4): per source address, action and result, per
// minute, the first is stored at once (it shows in the log as it happens)
// and the others as one entry carrying their count when the minute is over
// (or when the database closes). At most maxRefusedKeys such groups are
// counted at a time; beyond them the calls of the minute share one group,
// "others", so memory and the rows stored per minute stay bounded whatever
// the number of addresses.
const maxRefusedKeys = 256

// maxRefusedKeysPerIP caps the groups one source address makes in a minute
// (say, a login tried with many usernames): beyond it the source's calls
// share one group per action and result, its target "(others)", so one
// address can neither store a row per call nor crowd the others out.
const maxRefusedKeysPerIP = 8

// refusedOthers is the action of the group that takes calls beyond
// maxRefusedKeys.
const refusedOthers = "(others)"

type refusedKey struct {
	minute int64 // unix minute
	ip     string
	action string
	target string // a failed login's user: which accounts were tried stays in the log
	result string
}

type refusedGroup struct {
	first app.AuditEntry // the call stored at once; the model of the sum
	more  int            // calls since, not stored yet
	last  time.Time
}

// refusedCalls counts refused calls, by group.
type refusedCalls struct {
	mu     sync.Mutex
	groups map[refusedKey]*refusedGroup
	perIP  map[refusedIP]int // groups per source and minute
}

type refusedIP struct {
	minute int64
	ip     string
}

func (r *refusedCalls) init() {
	r.groups = make(map[refusedKey]*refusedGroup)
	r.perIP = make(map[refusedIP]int)
}

// add counts e; it reports whether e is the first of its group, to be
// stored now.
func (r *refusedCalls) add(e *app.AuditEntry) bool {
	capEntry(e)
	k := refusedKey{minute: e.At.Unix() / 60, ip: e.IP, action: e.Action, target: e.Target, result: e.Result}
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.groups[k]
	src := refusedIP{k.minute, k.ip}
	if !ok && r.perIP[src] >= maxRefusedKeysPerIP {
		k.target = refusedOthers
		g, ok = r.groups[k]
	}
	if !ok && len(r.groups) >= maxRefusedKeys {
		k = refusedKey{minute: k.minute, action: refusedOthers}
		g, ok = r.groups[k]
	}
	if !ok {
		first := *e
		if k.target == refusedOthers && k.action != refusedOthers {
			first.Target = refusedOthers
		}
		r.groups[k] = &refusedGroup{first: first, last: e.At}
		r.perIP[src]++
		return true
	}
	g.more++
	g.last = e.At
	return false
}

// due takes out the groups of minutes before now's (all of them: every
// group), the ones with calls still to store.
func (r *refusedCalls) due(now time.Time, all bool) []*app.AuditEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*app.AuditEntry
	for k, g := range r.groups {
		if !all && k.minute >= now.Unix()/60 {
			continue
		}
		delete(r.groups, k)
		delete(r.perIP, refusedIP{k.minute, k.ip})
		if g.more == 0 {
			continue
		}
		e := g.first
		e.ID, e.At, e.Count = 0, g.last, g.more
		e.Summary = fmt.Sprintf("同一来源同类请求本分钟内又被拒绝 %d 次 (%d more calls like this refused in the minute)", g.more, g.more)
		if k.action == refusedOthers {
			e.Action, e.IP, e.Target, e.UserAgent = refusedOthers, "", "", ""
			e.Summary = fmt.Sprintf("其他来源的请求本分钟内又被拒绝 %d 次 (%d more calls refused in the minute from other sources)", g.more, g.more)
		}
		out = append(out, &e)
	}
	return out
}

// AuditRefused records a call refused to a caller not signed in: counted
// with the calls like it, the first of each minute stored at once.
func (db *DB) AuditRefused(ctx context.Context, e *app.AuditEntry) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	if e.At.IsZero() {
		e.At = db.now()
	}
	if !db.audit.refused.add(e) {
		return nil
	}
	return db.writer.doAlone(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.appendAudit(ctx, tx, e)
	})
}

// FlushAudit stores the counts of refused calls now, rather than when
// their minute is over (for tests and checks; the server does it itself).
func (db *DB) FlushAudit(ctx context.Context) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	return db.flushRefused(ctx, true)
}

// flushRefused stores the counts of the minutes past (all: every count).
func (db *DB) flushRefused(ctx context.Context, all bool) error {
	list := db.audit.refused.due(db.now(), all)
	if len(list) == 0 {
		return nil
	}
	return db.writer.doAlone(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, e := range list {
			if err := db.appendAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}
