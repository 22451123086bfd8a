package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"smsgw/app"
)

// wordCache holds the sensitive-word matcher and the unsubscribe replies,
// built from the database on first use and rebuilt after every change made
// through this process. The CLI does not change them.
type wordCache struct {
	mu      sync.Mutex
	matcher *app.Matcher
	unsub   []string
}

func (c *wordCache) reset() {
	c.mu.Lock()
	c.matcher, c.unsub = nil, nil
	c.mu.Unlock()
}

// wordMatcher returns the matcher over every sensitive-word list.
func (db *DB) wordMatcher(ctx context.Context) (*app.Matcher, error) {
	db.words.mu.Lock()
	defer db.words.mu.Unlock()
	if db.words.matcher != nil {
		return db.words.matcher, nil
	}
	lists, err := db.readWordLists(ctx)
	if err != nil {
		return nil, err
	}
	db.words.matcher = app.NewMatcher(lists)
	return db.words.matcher, nil
}

func (db *DB) readWordLists(ctx context.Context) ([]app.WordList, error) {
	rows, err := db.rdb.QueryContext(ctx, `select name, action, words from word_lists order by action, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []app.WordList
	for rows.Next() {
		var l app.WordList
		var action, words string
		if err := rows.Scan(&l.Name, &action, &words); err != nil {
			return nil, err
		}
		l.Action = app.WordAction(action)
		if words != "" {
			l.Words = strings.Split(words, "\n")
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// WordLists returns every sensitive-word list.
func (db *DB) WordLists(ctx context.Context, p *app.Principal) ([]app.WordList, error) {
	if err := db.enter(); err != nil {
		return nil, err
	}
	defer db.leave()
	if !p.CanManageChannels() {
		return nil, app.Errorf(app.EFORBIDDEN, "只有系统管理员可以查看敏感词库")
	}
	return db.readWordLists(ctx)
}

// SaveWordList creates or replaces a list; a list with no words is removed.
func (db *DB) SaveWordList(ctx context.Context, p *app.Principal, l app.WordList) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	defer db.words.reset()
	if !p.CanManageChannels() {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员可以修改敏感词库")
	}
	l.Name = strings.TrimSpace(l.Name)
	if len(l.Words) > 0 {
		if err := l.Validate(); err != nil {
			return err
		}
	}
	words := make([]string, 0, len(l.Words))
	seen := make(map[string]bool, len(l.Words))
	for i, w := range l.Words {
		w = strings.TrimSpace(w)
		if strings.ContainsAny(w, "\r\n") || len([]rune(w)) > 50 {
			return app.FieldError("words", "第%d个词过长或含换行", i+1)
		}
		if w != "" && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if len(words) == 0 {
			_, err := tx.ExecContext(ctx, `delete from word_lists where name = ?`, l.Name)
			return err
		}
		_, err := tx.ExecContext(ctx, `insert into word_lists (name, action, words, updated_at) values (?, ?, ?, ?)
			on conflict (name) do update set action = excluded.action, words = excluded.words, updated_at = excluded.updated_at`,
			l.Name, string(l.Action), strings.Join(words, "\n"), ms(db.now()))
		return err
	})
}

const settingUnsubscribe = "unsubscribe_words"

// UnsubscribeWords returns the replies that put their sender on a blacklist.
func (db *DB) UnsubscribeWords(ctx context.Context) ([]string, error) {
	db.words.mu.Lock()
	defer db.words.mu.Unlock()
	if db.words.unsub != nil {
		return db.words.unsub, nil
	}
	var v string
	err := db.rdb.QueryRowContext(ctx, `select value from settings where key = ?`, settingUnsubscribe).Scan(&v)
	var words []string
	if errors.Is(err, sql.ErrNoRows) {
		words = append(words, app.DefaultUnsubscribeWords...) // a copy: the default stays as it is
	} else if err == nil {
		if err := json.Unmarshal([]byte(v), &words); err != nil {
			return nil, err
		}
	} else {
		return nil, err
	}
	db.words.unsub = words
	return words, nil
}

// SetUnsubscribeWords replaces the unsubscribe replies.
func (db *DB) SetUnsubscribeWords(ctx context.Context, p *app.Principal, words []string) error {
	if err := db.enter(); err != nil {
		return err
	}
	defer db.leave()
	defer db.words.reset()
	if !p.CanManageChannels() {
		return app.Errorf(app.EFORBIDDEN, "只有系统管理员可以设置退订关键词")
	}
	var clean []string
	for _, w := range words {
		if w = strings.TrimSpace(w); w != "" {
			if len([]rune(w)) > 10 {
				return app.FieldError("words", "退订关键词最长10个字：%q", w)
			}
			clean = append(clean, w)
		}
	}
	if len(clean) == 0 {
		return app.FieldError("words", "至少保留一个退订关键词")
	}
	v, _ := json.Marshal(clean)
	return db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `insert into settings (key, value) values (?, ?) on conflict (key) do update set value = excluded.value`,
			settingUnsubscribe, string(v))
		return err
	})
}
