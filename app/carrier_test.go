package app

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// allocations restates the brief's allocation list independently of
// defaultCarrierData, so a typo in the data shows up as a failing prefix.
var allocations = []struct {
	carrier  Carrier
	virtual  bool
	prefixes []string
}{
	{CarrierMobile, false, []string{"1340", "1341", "1342", "1343", "1344", "1345", "1346", "1347", "1348",
		"135", "136", "137", "138", "139", "147", "148", "150", "151", "152", "157", "158", "159",
		"172", "178", "182", "183", "184", "187", "188", "195", "197", "198"}},
	{CarrierUnicom, false, []string{"130", "131", "132", "145", "146", "155", "156", "166", "175", "176",
		"185", "186", "196"}},
	{CarrierTelecom, false, []string{"133", "1349", "149", "153", "173", "1740", "1741", "1742", "1743",
		"1744", "1745", "177", "180", "181", "189", "190", "191", "193", "199"}},
	{CarrierBroadnet, false, []string{"192"}},
	{CarrierTelecom, true, []string{"162", "1700", "1701", "1702"}},
	{CarrierMobile, true, []string{"165", "1703", "1705", "1706"}},
	{CarrierUnicom, true, []string{"167", "171", "1704", "1707", "1708", "1709"}},
}

func TestDefaultCarrierTable_MatchesAllocations(t *testing.T) {
	table := DefaultCarrierTable()
	for _, a := range allocations {
		for _, p := range a.prefixes {
			number := (p + "00000000")[:11]
			want := CarrierInfo{Carrier: a.carrier, Virtual: a.virtual}
			if got := table.Lookup(number); got != want {
				t.Errorf("Lookup(%s) = %+v, want %+v", number, got, want)
			}
		}
	}
}

func TestCarrierTable_Lookup(t *testing.T) {
	table := DefaultCarrierTable()
	tests := []struct {
		name   string
		number string
		want   CarrierInfo
	}{
		{"FindsMobileByThreeDigits", "13800138000", CarrierInfo{Carrier: CarrierMobile}},
		{"FindsUnicomByThreeDigits", "18612345678", CarrierInfo{Carrier: CarrierUnicom}},
		{"FindsTelecomByThreeDigits", "18912345678", CarrierInfo{Carrier: CarrierTelecom}},
		{"FindsBroadnet", "19212345678", CarrierInfo{Carrier: CarrierBroadnet}},
		{"FourDigitsOverrideThree", "13491234567", CarrierInfo{Carrier: CarrierTelecom}},
		{"FallsBackToThreeDigitsBeside4DigitEntry", "13481234567", CarrierInfo{Carrier: CarrierMobile}},
		{"ReportsVirtualOperatorUnderHost", "17031234567", CarrierInfo{Carrier: CarrierMobile, Virtual: true}},
		{"ReportsWholeVirtualPrefix", "17112345678", CarrierInfo{Carrier: CarrierUnicom, Virtual: true}},
		{"LeavesUnlistedPartOfSplitPrefixUnknown", "17461234567", CarrierInfo{}},
		{"LeavesUnallocatedPrefixUnknown", "15412345678", CarrierInfo{}},
		{"LeavesNonMobileUnknown", "01012345678", CarrierInfo{}},
		{"LeavesTooShortUnknown", "13", CarrierInfo{}},
		{"LeavesEmptyUnknown", "", CarrierInfo{}},
		{"LeavesNonDigitsUnknown", "1a800138000", CarrierInfo{}},
		{"IgnoresNonDigitFourthCharacter", "134-1234567", CarrierInfo{Carrier: CarrierMobile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := table.Lookup(tt.number); got != tt.want {
				t.Errorf("Lookup(%q) = %+v, want %+v", tt.number, got, tt.want)
			}
		})
	}
}

func TestCarrierTable_LookupOnNilTableIsUnknown(t *testing.T) {
	var table *CarrierTable
	if got := table.Lookup("13800138000"); got != (CarrierInfo{}) {
		t.Errorf("Lookup = %+v, want unknown", got)
	}
}

func TestDefaultCarrierTable_IsSharedAndSafeForConcurrentUse(t *testing.T) {
	first, second := DefaultCarrierTable(), DefaultCarrierTable()
	if first != second {
		t.Error("DefaultCarrierTable built twice, want one shared table")
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if DefaultCarrierTable().Lookup("13800138000").Carrier != CarrierMobile {
					t.Error("concurrent lookup gave the wrong carrier")
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestParseCarrierTable(t *testing.T) {
	input := `
# operator update 2025-01
  130 cucc
1700	CTCC	Virtual   # tabs and any case
192 cbn # trailing comment

171 cucc virtual
`
	table, err := ParseCarrierTable(strings.NewReader(input))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		number string
		want   CarrierInfo
	}{
		{"13012345678", CarrierInfo{Carrier: CarrierUnicom}},
		{"17001234567", CarrierInfo{Carrier: CarrierTelecom, Virtual: true}},
		{"19212345678", CarrierInfo{Carrier: CarrierBroadnet}},
		{"17112345678", CarrierInfo{Carrier: CarrierUnicom, Virtual: true}},
		{"13800138000", CarrierInfo{}}, // only what the file lists
		{"17011234567", CarrierInfo{}},
	}
	for _, tt := range tests {
		if got := table.Lookup(tt.number); got != tt.want {
			t.Errorf("Lookup(%s) = %+v, want %+v", tt.number, got, tt.want)
		}
	}
}

func TestParseCarrierTable_Rejects(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string // part of the message
	}{
		{"RejectsMissingCarrier", "130 cucc\n131\n", "第2行：缺少运营商"},
		{"RejectsUnknownCarrier", "130 cucc\n\n131 cmc\n", "第3行：运营商「cmc」无效"},
		{"RejectsUnknownFlag", "170 cucc mvno\n", "第1行：「mvno」无法识别"},
		{"RejectsExtraFields", "170 cucc virtual yes\n", "第1行：多余的内容「yes」"},
		{"RejectsTwoDigitPrefix", "# c\n13 cmcc\n", "第2行：号段「13」无效"},
		{"RejectsFiveDigitPrefix", "13800 cmcc\n", "第1行：号段「13800」无效"},
		{"RejectsPrefixNotStartingWith1", "238 cmcc\n", "第1行：号段「238」无效"},
		{"RejectsNonDigitPrefix", "13a cmcc\n", "第1行：号段「13a」无效"},
		{"RejectsFullWidthPrefix", "１３８ cmcc\n", "第1行：号段「１３８」无效"},
		{"RejectsDuplicateThreeDigitPrefix", "138 cmcc\n139 cmcc\n138 cucc\n", "第3行：号段138重复，第1行已定义"},
		{"RejectsDuplicateFourDigitPrefix", "1349 ctcc\n1349 ctcc\n", "第2行：号段1349重复，第1行已定义"},
		{"RejectsLongLine", "138 cmcc\n" + strings.Repeat("x", maxCarrierLine+1) + "\n", "第2行：行太长"},
		{"RejectsEmptyTable", "# nothing yet\n\n", "号段表为空"},
		{"RejectsEmptyInput", "", "号段表为空"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCarrierTable(strings.NewReader(tt.input))
			if code := ErrorCode(err); code != EINVALID {
				t.Fatalf("code = %q (%v), want %s", code, err, EINVALID)
			}
			if msg := ErrorMessage(err); !strings.Contains(msg, tt.want) {
				t.Errorf("message = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestParseCarrierTable_ReturnsReadErrorsAsInternal(t *testing.T) {
	failure := errors.New("disk on fire")
	_, err := ParseCarrierTable(io.MultiReader(strings.NewReader("138 cmcc\n"), errReader{failure}))
	if !errors.Is(err, failure) {
		t.Errorf("err = %v, want it to wrap %v", err, failure)
	}
	if code := ErrorCode(err); code != EINTERNAL {
		t.Errorf("code = %s, want %s", code, EINTERNAL)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestParseCarrier(t *testing.T) {
	tests := []struct {
		in   string
		want Carrier
	}{
		{"cmcc", CarrierMobile},
		{"cucc", CarrierUnicom},
		{"ctcc", CarrierTelecom},
		{"cbn", CarrierBroadnet},
		{"CMCC", CarrierMobile},
		{"Cbn", CarrierBroadnet},
	}
	for _, tt := range tests {
		t.Run("Accepts"+tt.in, func(t *testing.T) {
			got, err := ParseCarrier(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseCarrier(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "unknown", "cmcc ", "中国移动", "cm"} {
		t.Run(fmt.Sprintf("Rejects%q", in), func(t *testing.T) {
			got, err := ParseCarrier(in)
			if ErrorCode(err) != EINVALID || got != CarrierUnknown {
				t.Errorf("ParseCarrier(%q) = %q, %v; want EINVALID", in, got, err)
			}
			if !strings.Contains(ErrorMessage(err), "未知运营商") {
				t.Errorf("message = %q", ErrorMessage(err))
			}
		})
	}
}

func TestCarrier_ValidAndLabel(t *testing.T) {
	tests := []struct {
		carrier Carrier
		valid   bool
		label   string
	}{
		{CarrierMobile, true, "中国移动"},
		{CarrierUnicom, true, "中国联通"},
		{CarrierTelecom, true, "中国电信"},
		{CarrierBroadnet, true, "中国广电"},
		{CarrierUnknown, false, "未知"},
		{Carrier("CMCC"), false, "未知"}, // only ParseCarrier folds case
		{Carrier("xyz"), false, "未知"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.carrier), func(t *testing.T) {
			if got := tt.carrier.Valid(); got != tt.valid {
				t.Errorf("Valid() = %v, want %v", got, tt.valid)
			}
			if got := tt.carrier.Label(); got != tt.label {
				t.Errorf("Label() = %q, want %q", got, tt.label)
			}
		})
	}
}

func BenchmarkCarrierLookup(b *testing.B) {
	table := DefaultCarrierTable()
	numbers := []string{"13800138000", "13491234567", "17031234567", "15412345678"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = table.Lookup(numbers[i&3])
		i++
	}
}
