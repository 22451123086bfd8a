package app

import (
	"strings"
	"unicode"
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
// words are compared after foldText: full-width forms, case, and the spaces
// and punctuation people put between characters to slip past a filter do
// not matter.
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
	var found []WordMatch
	var seen map[int32]bool
	state := int32(0)
	for _, r := range text {
		r, keep := foldRune(r)
		if !keep {
			continue
		}
		if state == 0 && !m.starts(r) {
			continue
		}
		for {
			if t, ok := m.next[state][r]; ok {
				state = t
				break
			} else if state == 0 {
				break
			}
			state = m.fail[state]
		}
		for _, w := range m.output[state] {
			if seen == nil {
				seen = map[int32]bool{}
			}
			if !seen[w] {
				seen[w] = true
				found = append(found, m.words[w])
			}
		}
	}
	// Blocking words first, so a caller may look at found[0] alone.
	for i, j := 0, 0; j < len(found); j++ {
		if found[j].Action == WordBlock {
			found[i], found[j] = found[j], found[i]
			i++
		}
	}
	return found
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

// foldText is the form texts and words are compared in: full-width ASCII
// as half-width, the ideographic space as a space, letters in lower case,
// and only letters and digits kept (spaces, punctuation and symbols
// dropped).
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r, keep := foldRune(r); keep {
			b.WriteRune(r)
		}
	}
	return b.String()
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
