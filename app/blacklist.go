package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// GlobalBlacklist is the department id of the platform-wide blacklist.
const GlobalBlacklist = 0

// BlacklistSource says how a number came onto a blacklist.
type BlacklistSource string

// The sources of blacklist entries.
const (
	SourceManual      BlacklistSource = "manual"      // typed in the console or sent through the API
	SourceImport      BlacklistSource = "import"      // from an imported file
	SourceUnsubscribe BlacklistSource = "unsubscribe" // the number replied TD, 退订, ...
	SourceComplaint   BlacklistSource = "complaint"   // a carrier passed on a complaint
)

// Valid reports whether s is a known source.
func (s BlacklistSource) Valid() bool {
	switch s {
	case SourceManual, SourceImport, SourceUnsubscribe, SourceComplaint:
		return true
	}
	return false
}

// BlacklistEntry is one number on one blacklist (黑名单): the global one
// (DepartmentID 0) or a department's, which covers its subtree. Sending to
// a number on a list that covers the sender is refused per number with
// EBLACKLIST, never charged.
type BlacklistEntry struct {
	DepartmentID int64
	Phone        string // normalised
	Reason       string
	Source       BlacklistSource
	UserID       int64 // who added it; 0 for the platform itself
	CreatedAt    time.Time
}

// Validate normalises the number and checks the fields.
func (e *BlacklistEntry) Validate() error {
	n, err := NormalizeNumber(e.Phone)
	if err != nil {
		return FieldError("phone", "%s", ErrorMessage(err))
	}
	e.Phone = n
	if !e.Source.Valid() {
		return FieldError("source", "来源应为 manual、import、unsubscribe 或 complaint，而不是%q", e.Source)
	}
	if utf8.RuneCountInString(e.Reason) > 100 {
		return FieldError("reason", "原因最长100字")
	}
	return nil
}

// BlacklistFilter selects blacklist entries.
type BlacklistFilter struct {
	DepartmentID *int64 // nil: every list the caller sees; 0: the global one
	Phone        string
	Cursor       string
	Limit        int
}

// DefaultUnsubscribeWords are the replies that mean "stop sending to me".
var DefaultUnsubscribeWords = []string{"TD", "T", "N", "R", "退订", "取消", "0000"}

// IsUnsubscribe reports whether a reply's whole text is one of the words,
// whatever its case, width and surrounding spaces or punctuation.
func IsUnsubscribe(text string, words []string) bool {
	t := foldText(text)
	if t == "" {
		return false
	}
	for _, w := range words {
		if t == foldText(w) {
			return true
		}
	}
	return false
}

// BlacklistService keeps the blacklists.
type BlacklistService interface {
	// AddToBlacklist puts entries on a list; a number already there keeps
	// its first entry. Only system administrators write the global list,
	// department administrators their subtree's. It returns how many were new.
	AddToBlacklist(ctx context.Context, p *Principal, entries []*BlacklistEntry) (int, error)
	// RemoveFromBlacklist takes a number off a list. Errors: ENOTFOUND.
	RemoveFromBlacklist(ctx context.Context, p *Principal, dept int64, phone string) error
	// FindBlacklist lists the entries of the lists p sees, newest first.
	FindBlacklist(ctx context.Context, p *Principal, f BlacklistFilter) ([]*BlacklistEntry, string, error)
}

// WordListService keeps the sensitive-word lists the checks use.
type WordListService interface {
	// WordLists returns every list (system administrators).
	WordLists(ctx context.Context, p *Principal) ([]WordList, error)
	// SaveWordList creates or replaces a list by name; no words removes it.
	SaveWordList(ctx context.Context, p *Principal, l WordList) error
	// UnsubscribeWords returns the configured unsubscribe replies.
	UnsubscribeWords(ctx context.Context) ([]string, error)
	// SetUnsubscribeWords replaces them (system administrators).
	SetUnsubscribeWords(ctx context.Context, p *Principal, words []string) error
}

// MaxWords caps one sensitive-word list.
const MaxWords = 100000

// ParseWordList reads a word list file: one word per line, blank lines and
// lines starting with # skipped. Errors name the line.
func ParseWordList(text string) ([]string, error) {
	if !utf8.ValidString(text) {
		return nil, FieldError("file", "词库文件须为 UTF-8 编码")
	}
	var words []string
	text = strings.TrimPrefix(text, "\ufeff") // as Windows Notepad saves UTF-8
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		w := strings.TrimSpace(line)
		if w == "" || strings.HasPrefix(w, "#") {
			continue
		}
		if utf8.RuneCountInString(w) > 50 {
			return nil, FieldError("file", "第%d行：敏感词最长50个字", i+1)
		}
		if foldText(w) == "" {
			return nil, FieldError("file", "第%d行：“%s”去掉空格和标点后为空", i+1, w)
		}
		if len(words) == MaxWords {
			return nil, FieldError("file", "第%d行：一个词库最多%d个词", i+1, MaxWords)
		}
		words = append(words, w)
	}
	return words, nil
}

// Validate checks a list's name and action.
func (l *WordList) Validate() error {
	if n := strings.TrimSpace(l.Name); n == "" || utf8.RuneCountInString(n) > 32 {
		return FieldError("name", "词库名称不能为空且最长32个字")
	}
	if l.Action != WordBlock && l.Action != WordReview {
		return FieldError("action", "处理方式应为 block（拦截）或 review（人工审核），而不是%q", l.Action)
	}
	if len(l.Words) > MaxWords {
		return FieldError("words", "一个词库最多%d个词", MaxWords)
	}
	return nil
}
