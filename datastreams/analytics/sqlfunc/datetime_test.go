package sqlfunc

import (
	"testing"
	"time"

	sqt "github.com/shardcast/shardcast/datastreams/analytics/sqltypes"
)

func TestClockFunctions(t *testing.T) {
	l := testLib()
	for _, name := range []string{"CURRENT_ROW_TIMESTAMP", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP"} {
		f, _ := l.Lookup(name)
		if !f.Volatile || f.QueryStart != (name != "CURRENT_ROW_TIMESTAMP") {
			t.Errorf("%s: Volatile %v, QueryStart %v", name, f.Volatile, f.QueryStart)
		}
		if got := mustCall(t, l, name); got.K != sqt.Timestamp || got.I != fixedNow {
			t.Errorf("%s = %v", name, got)
		}
	}
	if got := mustCall(t, l, "CURRENT_DATE"); got.String() != "2016-09-23" {
		t.Errorf("CURRENT_DATE = %v", got)
	}
	if got := mustCall(t, l, "CURRENT_TIME"); got.String() != "04:29:26.234" {
		t.Errorf("CURRENT_TIME = %v", got)
	}
	if f, _ := l.Lookup("UPPER"); f.Volatile {
		t.Error("UPPER is volatile")
	}
}

func TestExtract(t *testing.T) {
	l := testLib()
	x := iv("2 03:04:05.678")
	now := mustCall(t, l, "CURRENT_ROW_TIMESTAMP")
	tests := []struct {
		field string
		v     sqt.Value
		want  string
	}{
		// the reference's examples
		{"DAY", x, "2"}, {"HOUR", x, "3"}, {"MINUTE", x, "4"}, {"SECOND", x, "5.678"},
		{"MINUTE", now, "29"}, {"HOUR", now, "4"},
		{"YEAR", now, "2016"}, {"MONTH", now, "9"}, {"DAY", now, "23"}, {"SECOND", now, "26.234"},
		{"DOW", now, "6"}, {"DOY", now, "267"}, {"QUARTER", now, "3"},
		{"SECOND", ts("2018-05-09 12:50:41.337"), "41.337"},
		{"MINUTE", sqt.TimeMs(3723000), "2"},
		{"YEAR", sqt.DateMs(ts("1992-02-14").I), "1992"},
		{"DAY", iv("-1 02:00:00"), "-1"},
	}
	for _, tc := range tests {
		got := mustCall(t, l, "EXTRACT", S(tc.field), tc.v)
		if got.String() != tc.want {
			t.Errorf("EXTRACT(%s FROM %v) = %v, want %s", tc.field, tc.v, got, tc.want)
		}
	}
	for _, bad := range [][]sqt.Value{{S("HOUR"), sqt.DateMs(0)}, {S("YEAR"), sqt.TimeMs(0)}, {S("FORTNIGHT"), now}, {S("DAY"), S("x")}} {
		if _, err := call(t, l, "EXTRACT", bad...); err == nil {
			t.Errorf("EXTRACT%v: no error", bad)
		}
	}
}

func TestStepAndFloor(t *testing.T) {
	l := testLib()
	tests := []struct {
		name string
		args []sqt.Value
		want sqt.Value
	}{
		{"STEP", []sqt.Value{ts("2016-09-23 04:29:26.234"), iv("0 00:01:00")}, ts("2016-09-23 04:29:00")},
		{"STEP", []sqt.Value{ts("2016-09-23 04:29:26.234"), iv("0 00:00:10")}, ts("2016-09-23 04:29:20")},
		{"STEP", []sqt.Value{ts("2016-09-23 04:29:26.234"), iv("0 00:15:00")}, ts("2016-09-23 04:15:00")},
		{"STEP", []sqt.Value{ts("1969-12-31 23:59:59.5"), iv("0 00:00:01")}, ts("1969-12-31 23:59:59")},
		{"STEP", []sqt.Value{I(17), I(5)}, I(15)},
		{"STEP", []sqt.Value{I(-1), I(5)}, I(-5)},
		{"STEP", []sqt.Value{sqt.NullOf(sqt.Timestamp), iv("0 00:01:00")}, sqt.NullOf(sqt.Timestamp)},
		{"FLOOR", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("MINUTE")}, ts("2016-09-23 04:29:00")},
		{"FLOOR", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("HOUR")}, ts("2016-09-23 04:00:00")},
		{"FLOOR", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("DAY")}, ts("2016-09-23 00:00:00")},
		{"FLOOR", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("MONTH")}, ts("2016-09-01 00:00:00")},
		{"FLOOR", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("YEAR")}, ts("2016-01-01 00:00:00")},
		{"FLOOR", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("WEEK")}, ts("2016-09-18 00:00:00")},
		{"CEIL", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("MINUTE")}, ts("2016-09-23 04:30:00")},
		{"CEIL", []sqt.Value{ts("2016-09-23 04:29:00"), S("MINUTE")}, ts("2016-09-23 04:29:00")},
		{"CEIL_TO", []sqt.Value{ts("2016-12-23 04:29:00"), S("MONTH")}, ts("2017-01-01 00:00:00")},
		{"FLOOR_TO", []sqt.Value{ts("2016-09-23 04:29:26.234"), S("second")}, ts("2016-09-23 04:29:26")},
		{"FLOOR", []sqt.Value{sqt.Float(-2.5)}, sqt.Float(-3)},
		{"CEIL", []sqt.Value{sqt.Float(-2.5)}, sqt.Float(-2)},
		{"FLOOR", []sqt.Value{I(7)}, I(7)},
		{"ABS", []sqt.Value{I(-7)}, I(7)},
		{"ABS", []sqt.Value{real32(-1.5)}, real32(1.5)},
		{"TSDIFF", []sqt.Value{ts("2016-09-23 04:29:00"), ts("2016-09-23 04:29:26.234")}, sqt.BigIntV(26234)},
		{"TSDIFF", []sqt.Value{sqt.BigIntV(1000), sqt.BigIntV(250)}, sqt.BigIntV(-750)},
		{"UNIX_TIMESTAMP", []sqt.Value{ts("2016-09-23 04:29:26.234")}, sqt.BigIntV(fixedNow)},
		{"TO_TIMESTAMP", []sqt.Value{sqt.BigIntV(fixedNow)}, ts("2016-09-23 04:29:26.234")},
		{"MOD", []sqt.Value{I(17), I(5)}, I(2)},
		{"POWER", []sqt.Value{I(2), I(10)}, sqt.Float(1024)},
		{"LOG10", []sqt.Value{I(1000)}, sqt.Float(3)},
		{"LN", []sqt.Value{sqt.Float(1)}, sqt.Float(0)},
		{"EXP", []sqt.Value{I(0)}, sqt.Float(1)},
	}
	for _, tc := range tests {
		got := mustCall(t, l, tc.name, tc.args...)
		if !same(got, tc.want) {
			t.Errorf("%s%v = %v (%s), want %v (%s)", tc.name, tc.args, got, got.K, tc.want, tc.want.K)
		}
	}
	for _, bad := range []struct {
		name string
		args []sqt.Value
	}{
		{"STEP", []sqt.Value{ts("2016-09-23 04:29:00"), iv("0 00:00:00")}},
		{"STEP", []sqt.Value{ts("2016-09-23 04:29:00"), I(5)}},
		{"FLOOR", []sqt.Value{ts("2016-09-23 04:29:00"), S("DECADE")}},
		{"LN", []sqt.Value{I(0)}},
		{"POWER", []sqt.Value{I(0), I(-1)}},
	} {
		if got, err := call(t, l, bad.name, bad.args...); err == nil {
			t.Errorf("%s%v = %v, want an error", bad.name, bad.args, got)
		}
	}
}

func TestDateFormats(t *testing.T) {
	l := testLib()
	tests := []struct {
		name   string
		format string
		v      sqt.Value
		want   string
	}{
		// the developer guide's DateTime example formats with a 12-hour clock
		{"TIMESTAMP_TO_CHAR", "yyyy-MM-dd hh:mm:ss", ts("2018-05-09 12:50:41.337"), "2018-05-09 12:50:41"},
		{"TIMESTAMP_TO_CHAR", "yyyy-MM-dd hh:mm:ss a", ts("2018-05-09 15:05:01"), "2018-05-09 03:05:01 PM"},
		{"TIMESTAMP_TO_CHAR", "yyyy-MM-dd HH:mm:ss.SSS", ts("2018-05-09 00:05:01.007"), "2018-05-09 00:05:01.007"},
		{"TIMESTAMP_TO_CHAR", "EEE, d MMM yyyy HH:mm:ss Z", ts("2001-07-04 12:08:56"), "Wed, 4 Jul 2001 12:08:56 +0000"},
		{"TIMESTAMP_TO_CHAR", "EEEE MMMM yy 'at' h 'o''clock' z", ts("2001-07-04 00:08:56"), "Wednesday July 01 at 12 o'clock UTC"},
		{"TIMESTAMP_TO_CHAR", "yyyyMMddHHmmss", ts("2001-07-04 12:08:56"), "20010704120856"},
		{"TIMESTAMP_TO_CHAR", "yyyy-MM-dd", sqt.NullOf(sqt.Timestamp), "null"},
		{"DATE_TO_CHAR", "dd/MM/yyyy", sqt.DateMs(ts("1992-02-14").I), "14/02/1992"},
		{"TIME_TO_CHAR", "HH:mm", sqt.TimeMs(3723000), "01:02"},
	}
	for _, tc := range tests {
		got := mustCall(t, l, tc.name, S(tc.format), tc.v)
		if got.S != tc.want {
			t.Errorf("%s(%q, %v) = %q, want %q", tc.name, tc.format, tc.v, got.S, tc.want)
		}
	}
	parse := []struct {
		name, format, in string
		want             sqt.Value
	}{
		// the reference's example, and its rule that missing fields default
		{"CHAR_TO_TIMESTAMP", "yyyy-MM-dd hh:mm:ss", "2009-09-16 03:15:24", ts("2009-09-16 03:15:24")},
		{"CHAR_TO_TIMESTAMP", "yyyy-MM-dd HH:mm:ss", "2009-09-16 15:15:24", ts("2009-09-16 15:15:24")},
		{"CHAR_TO_TIMESTAMP", "yyyy-MM", "2009-09", ts("2009-09-01 00:00:00")},
		{"CHAR_TO_TIMESTAMP", "HH:mm", "10:30", ts("1970-01-01 10:30:00")},
		{"CHAR_TO_TIMESTAMP", "dd/MMM/yyyy:HH:mm:ss Z", "24/May/2004:22:01:02 -0700", ts("2004-05-25 05:01:02")},
		{"CHAR_TO_TIMESTAMP", "yyyyMMddHHmmss", "20010704120856", ts("2001-07-04 12:08:56")},
		{"CHAR_TO_TIMESTAMP", "yyyy-MM-dd'T'HH:mm:ss.SSS", "2018-05-09T12:50:41.337", ts("2018-05-09 12:50:41.337")},
		{"CHAR_TO_TIMESTAMP", "hh:mm a", "12:15 AM", ts("1970-01-01 00:15:00")},
		{"CHAR_TO_TIMESTAMP", "hh:mm a", "12:15 pm", ts("1970-01-01 12:15:00")},
		{"CHAR_TO_TIMESTAMP", "MM/dd/yy", "07/04/01", ts("2001-07-04 00:00:00")},
		// the reference's table of templates
		{"CHAR_TO_TIMESTAMP", "yyyy-mm", "2011-02-08 07:23:19", ts("2011-01-01 00:02:00")},
		{"CHAR_TO_TIMESTAMP", "MMM dd, yyyy", "March 7, 2010", ts("2010-03-07 00:00:00")},
		{"CHAR_TO_TIMESTAMP", "MMM dd,", "March 7, 2010", ts("1970-03-07 00:00:00")},
		{"CHAR_TO_TIMESTAMP", "MMM dd,y", "March 7, 2010", ts("2010-03-07 00:00:00")},
		{"CHAR_TO_TIMESTAMP", "MMM dd,y", "March 7, 10", sqt.TimestampMs(time.Date(10, 3, 7, 0, 0, 0, 0, time.UTC).UnixMilli())},
		{"CHAR_TO_TIMESTAMP", "M-d", "2-8", ts("1970-02-08 00:00:00")},
		{"CHAR_TO_TIMESTAMP", "MM-dd-yyyy", "06-23-2011 10:11:12", ts("2011-06-23 00:00:00")},
		{"CHAR_TO_TIMESTAMP", "dd-MM-yy hh:mm:ss", "23-06-11 10:11:12", ts("2011-06-23 10:11:12")},
		{"CHAR_TO_TIMESTAMP", "MM-dd-yy ss:hh:mm", "06-23-11 12:10:11", ts("2011-06-23 10:11:12")},
		{"CHAR_TO_TIMESTAMP", "yy-dd-MM ss:hh:mm", "06-23-11 12:10:11", ts("2006-11-23 10:11:12")},
		{"CHAR_TO_DATE", "yyyy-MM-dd", "1992-02-14", sqt.DateMs(ts("1992-02-14").I)},
		{"CHAR_TO_TIME", "HH:mm:ss", "01:02:03", sqt.TimeMs(3723000)},
	}
	for _, tc := range parse {
		got := mustCall(t, l, tc.name, S(tc.format), S(tc.in))
		if !same(got, tc.want) {
			t.Errorf("%s(%q, %q) = %v, want %v", tc.name, tc.format, tc.in, got, tc.want)
		}
	}
	for _, bad := range [][2]string{
		{"yyyy-MM-dd", "2009-13-01"},
		{"yyyy-MM-dd", "2009-02-30"},
		{"HH:mm", "24:00"},
		{"yyyy-MM-dd", "16/09/2009"},
		{"yyyy-MM-dd 'T", "2009-09-16"},
		{"yyyy-MM-dd Q", "2009-09-16"},
		{"M-d", "2011-2-8"},
		{"MMM dd, yyyy", "March 7 2010"},
	} {
		if got, err := call(t, l, "CHAR_TO_TIMESTAMP", S(bad[0]), S(bad[1])); err == nil {
			t.Errorf("CHAR_TO_TIMESTAMP(%q, %q) = %v, want an error", bad[0], bad[1], got)
		}
	}
}
