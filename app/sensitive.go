package app

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// WordAction is what a sensitive-word list asks for when a text matches.
type WordAction string

// The actions of sensitive-word lists (敏感词).
const (
	WordBlock  WordAction = "block"  // refuse the text
	WordReview WordAction = "review" // hold it for a reviewer
)

// WordList is a named list of sensitive words with its action.
type WordList struct {
	Name   string
	Action WordAction
	Words  []string
}

// WordMatch is a sensitive word found in a text.
type WordMatch struct {
	Word   string // as the list has it
	List   string
	Action WordAction
}

// Matcher finds sensitive words in a text in one pass over it, however many
// words the lists hold (an Aho-Corasick automaton over runes). Texts and
// words are compared after foldText: compatibility forms (𝐕𝐏𝐍, Ⓥ, ⼀),
// full-width forms, case, and the spaces and punctuation people put between
// characters to slip past a filter do not matter.
type Matcher struct {
	next   []map[rune]int32 // goto function, by state
	fail   []int32
	output [][]int32 // indexes into words, by state (own and inherited)
	words  []WordMatch
	first  [1 << 10]uint64 // bit r: a word starts with r (r in the BMP)
}

// NewMatcher builds a matcher over the lists. Words that fold to nothing
// are ignored.
func NewMatcher(lists []WordList) *Matcher {
	m := &Matcher{next: []map[rune]int32{{}}, fail: []int32{0}, output: [][]int32{nil}}
	for _, l := range lists {
		for _, w := range l.Words {
			key := foldText(w)
			if key == "" {
				continue
			}
			m.add(key, WordMatch{Word: strings.TrimSpace(w), List: l.Name, Action: l.Action})
		}
	}
	m.link()
	for r := range m.next[0] {
		if r < 1<<16 {
			m.first[r>>6] |= 1 << (r & 63)
		}
	}
	return m
}

func (m *Matcher) add(key string, wm WordMatch) {
	state := int32(0)
	for _, r := range key {
		nxt, ok := m.next[state][r]
		if !ok {
			nxt = int32(len(m.next))
			m.next = append(m.next, map[rune]int32{})
			m.fail = append(m.fail, 0)
			m.output = append(m.output, nil)
			m.next[state][r] = nxt
		}
		state = nxt
	}
	m.words = append(m.words, wm)
	m.output[state] = append(m.output[state], int32(len(m.words)-1))
}

// link sets the failure links breadth first and merges each state's output
// with its failure state's.
func (m *Matcher) link() {
	queue := make([]int32, 0, len(m.next))
	for _, s := range m.next[0] {
		queue = append(queue, s) // depth 1 fails to the root
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for r, t := range m.next[s] {
			queue = append(queue, t)
			f := m.fail[s]
			for f != 0 && !m.has(f, r) {
				f = m.fail[f]
			}
			if g, ok := m.next[f][r]; ok && g != t {
				m.fail[t] = g
			}
			m.output[t] = append(m.output[t], m.output[m.fail[t]]...)
		}
	}
}

func (m *Matcher) has(state int32, r rune) bool {
	_, ok := m.next[state][r]
	return ok
}

// Find returns every distinct word of the lists found in text, blocking
// lists' words first. Texts are mostly clean and short (a personalised
// batch checks 10,000 of them), so it allocates nothing until a word is
// found, and a character no word starts with costs one bit test.
func (m *Matcher) Find(text string) []WordMatch {
	f := finder{m: m}
	for _, r := range text {
		if !plain(r) {
			if d := compat(r); d != nil {
				for _, r := range string(d) {
					f.step(r)
				}
				continue
			}
		}
		// f.step(r), with its cheap way out here where it is inlined
		r, keep := foldRune(r)
		if keep && (f.state != 0 || m.starts(r)) {
			f.advance(r)
		}
	}
	found := f.found
	// Blocking words first, so a caller may look at found[0] alone.
	for i, j := 0, 0; j < len(found); j++ {
		if found[j].Action == WordBlock {
			found[i], found[j] = found[j], found[i]
			i++
		}
	}
	return found
}

// finder is one pass of Find over a text.
type finder struct {
	m     *Matcher
	state int32
	found []WordMatch
	seen  map[int32]bool
}

// step feeds the automaton one character of the text, folded by foldRune.
func (f *finder) step(r rune) {
	r, keep := foldRune(r)
	if keep && (f.state != 0 || f.m.starts(r)) {
		f.advance(r)
	}
}

// advance feeds the automaton one folded character and collects the words
// it completes.
func (f *finder) advance(r rune) {
	m := f.m
	for {
		if t, ok := m.next[f.state][r]; ok {
			f.state = t
			break
		} else if f.state == 0 {
			break
		}
		f.state = m.fail[f.state]
	}
	for _, w := range m.output[f.state] {
		if f.seen == nil {
			f.seen = map[int32]bool{}
		}
		if !f.seen[w] {
			f.seen[w] = true
			f.found = append(f.found, m.words[w])
		}
	}
}

// starts reports whether some word starts with r (characters outside the
// Basic Multilingual Plane are looked up in the root's map).
func (m *Matcher) starts(r rune) bool {
	if r < 1<<16 {
		return m.first[r>>6]&(1<<(r&63)) != 0
	}
	_, ok := m.next[0][r]
	return ok
}

// foldText is the form texts and words are compared in: compatibility
// forms as their plain characters (see compat), full-width ASCII as
// half-width, letters in lower case, and only letters and digits kept
// (spaces, punctuation, symbols and combining marks dropped).
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	add := func(r rune) {
		if r, keep := foldRune(r); keep {
			b.WriteRune(r)
		}
	}
	for _, r := range s {
		if d := compat(r); d != nil {
			for _, r := range string(d) {
				add(r)
			}
			continue
		}
		add(r)
	}
	return b.String()
}

// compat is the compatibility decomposition of r (NFKD, from
// golang.org/x/text/unicode/norm), or nil when r has none or is in the
// ranges most texts are made of (ASCII, full-width ASCII, CJK ideographs),
// which foldRune handles alone. It is what defeats a filter being slipped
// past with look-alikes: mathematical and circled letters (𝐕𝐏𝐍, ⓥⓟⓝ), Kangxi
// radicals (⼀), CJK compatibility ideographs (豈) and the like all become
// the plain character. Decomposing rather than composing (NFKC) is the same
// after foldRune, which drops the combining marks either would keep, and
// needs no buffer: é and e+◌́ both become e. Hangul syllables are left
// whole (their decomposition is algorithmic, not in the tables).
func compat(r rune) []byte {
	if plain(r) {
		return nil
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	return norm.NFKD.Properties(buf[:n]).Decomposition()
}

// plain reports whether r is in the ranges foldRune handles alone.
func plain(r rune) bool {
	return r < 0x80 || r >= 0x4E00 && r <= 0x9FFF || r >= 0xFF01 && r <= 0xFF5E
}

// foldRune is foldText for one character: the folded form, and whether it
// is kept at all.
func foldRune(r rune) (rune, bool) {
	if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
		r -= 0xFEE0
	}
	switch {
	case r < 0x80:
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A', true
		}
		return r, 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
	case r >= 0x4E00 && r <= 0x9FFF: // CJK ideographs, most of a Chinese text
		return r, true
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return unicode.ToLower(r), true
	}
	return r, false
}
