package dag

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func utc(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func tp(t time.Time) *time.Time { return &t }

func iv(start, end time.Time) *DataInterval { return &DataInterval{Start: start, End: end} }

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s unavailable: %v", name, err)
	}
	return loc
}

func mustParse(t testing.TB, expr string) Schedule {
	t.Helper()
	s, err := ParseSchedule(expr)
	if err != nil {
		t.Fatalf("ParseSchedule(%q): %v", expr, err)
	}
	return s
}

func sameInterval(a, b DataInterval) bool {
	return a.Start.Equal(b.Start) && a.End.Equal(b.End)
}

func fmtInterval(d DataInterval) string {
	return "[" + d.Start.UTC().Format(time.RFC3339) + ", " + d.End.UTC().Format(time.RFC3339) + "]"
}

func TestParseScheduleValid(t *testing.T) {
	tests := []struct {
		expr   string
		kind   ScheduleKind
		every  time.Duration
		fields string // expanded cron fields
	}{
		{"", ScheduleNone, 0, ""},
		{"none", ScheduleNone, 0, ""},
		{"None", ScheduleNone, 0, ""},
		{"null", ScheduleNone, 0, ""},
		{"@once", ScheduleOnce, 0, ""},
		{"@hourly", ScheduleCron, 0, "0 * * * *"},
		{"@daily", ScheduleCron, 0, "0 0 * * *"},
		{"@midnight", ScheduleCron, 0, "0 0 * * *"},
		{"@weekly", ScheduleCron, 0, "0 0 * * 0"},
		{"@monthly", ScheduleCron, 0, "0 0 1 * *"},
		{"@quarterly", ScheduleCron, 0, "0 0 1 */3 *"},
		{"@yearly", ScheduleCron, 0, "0 0 1 1 *"},
		{"@annually", ScheduleCron, 0, "0 0 1 1 *"},
		{"0 3 * * *", ScheduleCron, 0, "0 3 * * *"},
		{"  */5  * * * * ", ScheduleCron, 0, "*/5 * * * *"},
		{"0 9 * * MON-FRI", ScheduleCron, 0, "0 9 * * MON-FRI"},
		{"0 0 29 2 *", ScheduleCron, 0, "0 0 29 2 *"},
		{"every 10m", ScheduleInterval, 10 * time.Minute, ""},
		{"every 1h30m", ScheduleInterval, 90 * time.Minute, ""},
		{"@every 10m", ScheduleInterval, 10 * time.Minute, ""},
		{"every 36h", ScheduleInterval, 36 * time.Hour, ""},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if s.Kind != tt.kind || s.Every != tt.every || s.Expr != tt.expr {
				t.Errorf("got %+v, want kind %s every %v expr %q", s, tt.kind, tt.every, tt.expr)
			}
			var fields string
			if s.cron != nil {
				fields = s.cron.fields
			}
			if fields != tt.fields {
				t.Errorf("cron fields %q, want %q", fields, tt.fields)
			}
		})
	}
}

func TestParseScheduleInvalid(t *testing.T) {
	tests := []struct {
		expr string
		want string // the whole message when exact, else a substring
		// exact says want is the whole message.
		exact bool
	}{
		{"61 * * * *", `invalid cron expression "61 * * * *": end of range (61) above maximum (59): 61`, true},
		{"* * * * * *", `invalid cron expression "* * * * * *": expected exactly 5 fields, found 6`, false},
		{"0 0 * *", `expected exactly 5 fields, found 4`, false},
		{"0 25 * * *", `invalid cron expression "0 25 * * *"`, false},
		{"0 0 * * 8", `invalid cron expression "0 0 * * 8"`, false},
		{"0 0 31 2 *", `invalid cron expression "0 0 31 2 *": it never fires`, true},
		{"TZ=UTC 0 * * * *", `time zone prefixes are not supported`, false},
		{"@reboot", `unknown schedule preset "@reboot"`, false},
		{"@fortnightly", `unknown schedule preset "@fortnightly"`, false},
		{"@every", `invalid interval "@every"`, false},
		{"every", `invalid interval "every"`, false},
		{"every 10m 5s", `invalid interval "every 10m 5s"`, false},
		{"every 0s", `invalid interval "every 0s": must be positive`, true},
		{"every -5m", `invalid interval "every -5m": must be positive`, true},
		{"every banana", `invalid interval "every banana": time: invalid duration "banana"`, true},
		{"every 1d", `invalid interval "every 1d"`, false},
		{"daily", `invalid cron expression "daily"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := ParseSchedule(tt.expr)
			if err == nil {
				t.Fatalf("got %+v, want an error", s)
			}
			if tt.exact && err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if !tt.exact && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestScheduleString(t *testing.T) {
	for expr, want := range map[string]string{"": "none", "null": "null", "@daily": "@daily", "every 5m": "every 5m"} {
		if got := mustParse(t, expr).String(); got != want {
			t.Errorf("String() of %q = %q, want %q", expr, got, want)
		}
	}
	if got := (Schedule{}).String(); got != "none" {
		t.Errorf("zero Schedule String() = %q, want none", got)
	}
}

func TestNextRun(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	moscow := mustLoad(t, "Europe/Moscow")
	jan1 := utc(2024, 1, 1, 0, 0)
	// On 2024-03-31 Berlin goes from 02:00 CET to 03:00 CEST; on 2024-10-27
	// from 03:00 CEST back to 02:00 CET.
	bt := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2024, mo, d, h, mi, 0, 0, berlin) }

	tests := []struct {
		name string
		expr string
		last *DataInterval
		p    TimetableParams
		now  time.Time
		want *DataInterval // nil: no next run
	}{
		// cron
		{"cron catchup first", "@daily", nil,
			TimetableParams{Start: tp(jan1), Catchup: true}, utc(2024, 1, 10, 12, 0),
			iv(jan1, utc(2024, 1, 2, 0, 0))},
		{"cron catchup unaligned start", "@daily", nil,
			TimetableParams{Start: tp(utc(2024, 1, 1, 10, 30)), Catchup: true}, utc(2024, 1, 10, 12, 0),
			iv(utc(2024, 1, 2, 0, 0), utc(2024, 1, 3, 0, 0))},
		{"cron catchup with last", "@daily", iv(utc(2024, 1, 5, 0, 0), utc(2024, 1, 6, 0, 0)),
			TimetableParams{Start: tp(jan1), Catchup: true}, utc(2024, 1, 10, 12, 0),
			iv(utc(2024, 1, 6, 0, 0), utc(2024, 1, 7, 0, 0))},
		{"cron no catchup first skips to latest", "@daily", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 10, 12, 0),
			iv(utc(2024, 1, 9, 0, 0), utc(2024, 1, 10, 0, 0))},
		{"cron no catchup now on a tick", "@daily", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 10, 0, 0),
			iv(utc(2024, 1, 9, 0, 0), utc(2024, 1, 10, 0, 0))},
		{"cron no catchup after downtime", "@daily", iv(utc(2024, 1, 5, 0, 0), utc(2024, 1, 6, 0, 0)),
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 10, 12, 0),
			iv(utc(2024, 1, 9, 0, 0), utc(2024, 1, 10, 0, 0))},
		{"cron no catchup up to date", "@daily", iv(utc(2024, 1, 9, 0, 0), utc(2024, 1, 10, 0, 0)),
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 10, 12, 0),
			iv(utc(2024, 1, 10, 0, 0), utc(2024, 1, 11, 0, 0))},
		{"cron no catchup start in the future", "@daily", nil,
			TimetableParams{Start: tp(utc(2024, 2, 1, 0, 0))}, utc(2024, 1, 10, 12, 0),
			iv(utc(2024, 2, 1, 0, 0), utc(2024, 2, 2, 0, 0))},
		{"cron no catchup start just passed", "@daily", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 1, 12, 0),
			iv(jan1, utc(2024, 1, 2, 0, 0))},
		{"cron every 5 minutes no catchup", "*/5 * * * *", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 1, 10, 7),
			iv(utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 10, 5))},
		{"cron last misaligned after a schedule change", "@hourly", iv(utc(2024, 1, 1, 9, 30), utc(2024, 1, 1, 10, 30)),
			TimetableParams{Start: tp(jan1), Catchup: true}, utc(2024, 1, 1, 12, 0),
			iv(utc(2024, 1, 1, 10, 0), utc(2024, 1, 1, 11, 0))},
		{"cron no start", "@daily", nil,
			TimetableParams{Catchup: true}, utc(2024, 1, 10, 0, 0), nil},
		{"cron start on end date", "@daily", iv(utc(2024, 1, 5, 0, 0), utc(2024, 1, 6, 0, 0)),
			TimetableParams{Start: tp(jan1), End: tp(utc(2024, 1, 6, 0, 0)), Catchup: true}, utc(2024, 1, 10, 0, 0),
			iv(utc(2024, 1, 6, 0, 0), utc(2024, 1, 7, 0, 0))},
		{"cron past end date", "@daily", iv(utc(2024, 1, 5, 0, 0), utc(2024, 1, 6, 0, 0)),
			TimetableParams{Start: tp(jan1), End: tp(utc(2024, 1, 5, 12, 0)), Catchup: true}, utc(2024, 1, 10, 0, 0),
			nil},
		{"cron no catchup skip beyond end date", "@daily", nil,
			TimetableParams{Start: tp(jan1), End: tp(utc(2024, 1, 3, 0, 0))}, utc(2024, 1, 10, 12, 0),
			nil},
		{"cron location nil is UTC", "0 3 * * *", nil,
			TimetableParams{Start: tp(jan1), Catchup: true}, jan1,
			iv(utc(2024, 1, 1, 3, 0), utc(2024, 1, 2, 3, 0))},
		{"cron in Moscow", "0 3 * * *", nil,
			TimetableParams{Start: tp(utc(2024, 1, 1, 1, 0)), Catchup: true, Location: moscow}, jan1,
			iv(utc(2024, 1, 2, 0, 0), utc(2024, 1, 3, 0, 0))},
		{"cron Berlin before spring forward", "0 3 * * *", nil,
			TimetableParams{Start: tp(bt(3, 29, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 3, 29, 2, 0), utc(2024, 3, 30, 2, 0))},
		{"cron Berlin 23-hour day", "0 3 * * *", iv(utc(2024, 3, 29, 2, 0), utc(2024, 3, 30, 2, 0)),
			TimetableParams{Start: tp(bt(3, 29, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 3, 30, 2, 0), utc(2024, 3, 31, 1, 0))},
		{"cron Berlin after spring forward", "0 3 * * *", iv(utc(2024, 3, 30, 2, 0), utc(2024, 3, 31, 1, 0)),
			TimetableParams{Start: tp(bt(3, 29, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 3, 31, 1, 0), utc(2024, 4, 1, 1, 0))},
		{"cron Berlin midnight across spring forward", "@daily", iv(bt(3, 30, 0, 0), bt(3, 31, 0, 0)),
			TimetableParams{Start: tp(bt(3, 1, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 3, 30, 23, 0), utc(2024, 3, 31, 22, 0))},
		// 02:30 does not exist on 2024-03-31: it fires at 03:30 CEST.
		{"cron Berlin wall time in the gap", "30 2 * * *", iv(bt(3, 29, 2, 30), bt(3, 30, 2, 30)),
			TimetableParams{Start: tp(bt(3, 1, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 30))},
		{"cron Berlin after the gap", "30 2 * * *", iv(utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 30)),
			TimetableParams{Start: tp(bt(3, 1, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 3, 31, 1, 30), utc(2024, 4, 1, 0, 30))},
		// Hourly schedules follow elapsed time: no 02:00 on the short day.
		{"cron Berlin hourly across the gap", "@hourly", iv(bt(3, 31, 0, 0), bt(3, 31, 1, 0)),
			TimetableParams{Start: tp(bt(3, 1, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 3, 31, 0, 0), utc(2024, 3, 31, 1, 0))},
		// 02:30 happens twice on 2024-10-27: a daily schedule fires once.
		{"cron Berlin repeated wall time", "30 2 * * *", iv(utc(2024, 10, 26, 0, 30), utc(2024, 10, 27, 0, 30)),
			TimetableParams{Start: tp(bt(10, 1, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30))},
		{"cron Berlin hourly repeated hour", "@hourly", iv(utc(2024, 10, 26, 23, 0), utc(2024, 10, 27, 0, 0)),
			TimetableParams{Start: tp(bt(10, 1, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 10, 27, 0, 0), utc(2024, 10, 27, 1, 0))},
		{"cron Berlin hourly twice in the repeated hour", "@hourly", iv(utc(2024, 10, 27, 0, 0), utc(2024, 10, 27, 1, 0)),
			TimetableParams{Start: tp(bt(10, 1, 0, 0)), Catchup: true, Location: berlin}, jan1,
			iv(utc(2024, 10, 27, 1, 0), utc(2024, 10, 27, 2, 0))},
		// Go's zone periods past its transition table end a day early on
		// New Year's Eve of leap years; this once looped forever.
		{"cron Berlin leap year end", "@monthly", iv(time.Date(2040, 11, 1, 0, 0, 0, 0, berlin), time.Date(2040, 12, 1, 0, 0, 0, 0, berlin)),
			TimetableParams{Start: tp(jan1), Catchup: true, Location: berlin}, jan1,
			iv(utc(2040, 11, 30, 23, 0), utc(2040, 12, 31, 23, 0))},
		{"cron Berlin no catchup across spring forward", "0 3 * * *", nil,
			TimetableParams{Start: tp(bt(3, 1, 0, 0)), Location: berlin}, utc(2024, 3, 31, 12, 0),
			iv(utc(2024, 3, 30, 2, 0), utc(2024, 3, 31, 1, 0))},

		// once
		{"once before start", "@once", nil,
			TimetableParams{Start: tp(utc(2024, 2, 1, 0, 0))}, jan1,
			iv(utc(2024, 2, 1, 0, 0), utc(2024, 2, 1, 0, 0))},
		{"once after start", "@once", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 3, 1, 0, 0),
			iv(jan1, jan1)},
		{"once after its run", "@once", iv(jan1, jan1),
			TimetableParams{Start: tp(jan1)}, utc(2024, 3, 1, 0, 0), nil},
		{"once no start", "@once", nil, TimetableParams{}, jan1, nil},
		{"once start after end", "@once", nil,
			TimetableParams{Start: tp(utc(2024, 2, 1, 0, 0)), End: tp(jan1)}, jan1, nil},

		// interval
		{"interval catchup first", "every 1h", nil,
			TimetableParams{Start: tp(jan1), Catchup: true}, utc(2024, 1, 1, 5, 30),
			iv(jan1, utc(2024, 1, 1, 1, 0))},
		{"interval catchup with last", "every 1h", iv(utc(2024, 1, 1, 2, 0), utc(2024, 1, 1, 3, 0)),
			TimetableParams{Start: tp(jan1), Catchup: true}, utc(2024, 1, 1, 5, 30),
			iv(utc(2024, 1, 1, 3, 0), utc(2024, 1, 1, 4, 0))},
		{"interval no catchup skips to latest", "every 1h", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 1, 5, 30),
			iv(utc(2024, 1, 1, 4, 0), utc(2024, 1, 1, 5, 0))},
		{"interval no catchup now on a boundary", "every 1h", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 1, 5, 0),
			iv(utc(2024, 1, 1, 4, 0), utc(2024, 1, 1, 5, 0))},
		{"interval no catchup nothing elapsed yet", "every 1h", nil,
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 1, 0, 30),
			iv(jan1, utc(2024, 1, 1, 1, 0))},
		{"interval no catchup aligned to start", "every 10m", nil,
			TimetableParams{Start: tp(utc(2024, 1, 1, 0, 7))}, utc(2024, 1, 1, 1, 0),
			iv(utc(2024, 1, 1, 0, 47), utc(2024, 1, 1, 0, 57))},
		{"interval no catchup after downtime", "every 1h", iv(utc(2024, 1, 1, 1, 0), utc(2024, 1, 1, 2, 0)),
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 1, 5, 30),
			iv(utc(2024, 1, 1, 4, 0), utc(2024, 1, 1, 5, 0))},
		{"interval no catchup up to date", "every 1h", iv(utc(2024, 1, 1, 4, 0), utc(2024, 1, 1, 5, 0)),
			TimetableParams{Start: tp(jan1)}, utc(2024, 1, 1, 5, 30),
			iv(utc(2024, 1, 1, 5, 0), utc(2024, 1, 1, 6, 0))},
		{"interval start in the future", "every 1h", nil,
			TimetableParams{Start: tp(utc(2024, 2, 1, 0, 0))}, jan1,
			iv(utc(2024, 2, 1, 0, 0), utc(2024, 2, 1, 1, 0))},
		{"interval past end date", "every 1h", iv(utc(2024, 1, 1, 1, 0), utc(2024, 1, 1, 2, 0)),
			TimetableParams{Start: tp(jan1), End: tp(utc(2024, 1, 1, 1, 30)), Catchup: true}, jan1, nil},
		{"interval no start", "every 1h", nil, TimetableParams{Catchup: true}, jan1, nil},

		// none
		{"none", "", nil, TimetableParams{Start: tp(jan1), Catchup: true}, utc(2024, 3, 1, 0, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, tt.expr)
			got, ok := s.NextRun(tt.last, tt.p, tt.now)
			switch {
			case tt.want == nil && ok:
				t.Errorf("got %s, want no next run", fmtInterval(got))
			case tt.want != nil && !ok:
				t.Errorf("got no next run, want %s", fmtInterval(*tt.want))
			case tt.want != nil && !sameInterval(got, *tt.want):
				t.Errorf("got %s, want %s", fmtInterval(got), fmtInterval(*tt.want))
			case ok && (got.Start.Location() != time.UTC || got.End.Location() != time.UTC):
				t.Errorf("got times in %v/%v, want UTC", got.Start.Location(), got.End.Location())
			}
		})
	}
}

func TestNextRunZeroAndHandBuiltSchedule(t *testing.T) {
	p := TimetableParams{Start: tp(utc(2024, 1, 1, 0, 0)), Catchup: true}
	if got, ok := (Schedule{}).NextRun(nil, p, utc(2024, 2, 1, 0, 0)); ok {
		t.Errorf("zero Schedule: got %s, want none", fmtInterval(got))
	}
	// A Schedule not made by ParseSchedule still schedules from its Expr.
	s := Schedule{Kind: ScheduleCron, Expr: "@daily"}
	got, ok := s.NextRun(nil, p, utc(2024, 2, 1, 0, 0))
	if want := *iv(utc(2024, 1, 1, 0, 0), utc(2024, 1, 2, 0, 0)); !ok || !sameInterval(got, want) {
		t.Errorf("hand-built cron: got %s %v, want %s", fmtInterval(got), ok, fmtInterval(want))
	}
	if _, ok := (Schedule{Kind: ScheduleCron, Expr: "bogus"}).NextRun(nil, p, utc(2024, 2, 1, 0, 0)); ok {
		t.Error("unparsable hand-built cron: got a next run")
	}
}

func TestManualInterval(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	p := TimetableParams{Start: tp(utc(2024, 1, 1, 0, 0))}
	tests := []struct {
		name     string
		expr     string
		loc      *time.Location
		runAfter time.Time
		want     DataInterval
	}{
		{"daily mid-day", "@daily", nil, utc(2024, 1, 25, 1, 0), *iv(utc(2024, 1, 24, 0, 0), utc(2024, 1, 25, 0, 0))},
		{"daily on a tick", "@daily", nil, utc(2024, 1, 25, 0, 0), *iv(utc(2024, 1, 24, 0, 0), utc(2024, 1, 25, 0, 0))},
		{"hourly", "@hourly", nil, utc(2024, 1, 25, 10, 30), *iv(utc(2024, 1, 25, 9, 0), utc(2024, 1, 25, 10, 0))},
		{"weekdays over a weekend", "0 9 * * 1-5", nil, utc(2024, 1, 7, 12, 0), // a Sunday
			*iv(utc(2024, 1, 4, 9, 0), utc(2024, 1, 5, 9, 0))},
		{"monthly", "@monthly", nil, utc(2024, 3, 15, 0, 0), *iv(utc(2024, 2, 1, 0, 0), utc(2024, 3, 1, 0, 0))},
		{"Berlin midnight across DST", "@daily", berlin, utc(2024, 4, 1, 12, 0),
			*iv(utc(2024, 3, 30, 23, 0), utc(2024, 3, 31, 22, 0))},
		{"Berlin wall time in the gap", "30 2 * * *", berlin, utc(2024, 3, 31, 12, 0),
			*iv(utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 30))},
		{"interval", "every 1h30m", nil, utc(2024, 1, 25, 10, 0), *iv(utc(2024, 1, 25, 8, 30), utc(2024, 1, 25, 10, 0))},
		{"once", "@once", nil, utc(2024, 1, 25, 10, 0), *iv(utc(2024, 1, 25, 10, 0), utc(2024, 1, 25, 10, 0))},
		{"none", "", nil, utc(2024, 1, 25, 10, 0), *iv(utc(2024, 1, 25, 10, 0), utc(2024, 1, 25, 10, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := p
			p.Location = tt.loc
			got := mustParse(t, tt.expr).ManualInterval(tt.runAfter, p)
			if !sameInterval(got, tt.want) {
				t.Errorf("got %s, want %s", fmtInterval(got), fmtInterval(tt.want))
			}
		})
	}
	if got := (Schedule{}).ManualInterval(utc(2024, 1, 1, 5, 0), p); !sameInterval(got, *iv(utc(2024, 1, 1, 5, 0), utc(2024, 1, 1, 5, 0))) {
		t.Errorf("zero Schedule: got %s", fmtInterval(got))
	}
}

func TestNextRuns(t *testing.T) {
	jan1 := utc(2024, 1, 1, 0, 0)
	from := utc(2024, 1, 10, 12, 0)
	day := func(d int) time.Time { return utc(2024, 1, d, 0, 0) }
	tests := []struct {
		name string
		expr string
		last *DataInterval
		p    TimetableParams
		n    int
		want []DataInterval
	}{
		{"catchup from start", "@daily", nil, TimetableParams{Start: tp(jan1), Catchup: true}, 3,
			[]DataInterval{*iv(day(1), day(2)), *iv(day(2), day(3)), *iv(day(3), day(4))}},
		{"no catchup from latest", "@daily", nil, TimetableParams{Start: tp(jan1)}, 3,
			[]DataInterval{*iv(day(9), day(10)), *iv(day(10), day(11)), *iv(day(11), day(12))}},
		{"after last", "@daily", iv(day(10), day(11)), TimetableParams{Start: tp(jan1)}, 2,
			[]DataInterval{*iv(day(11), day(12)), *iv(day(12), day(13))}},
		{"stops at end date", "@daily", nil, TimetableParams{Start: tp(jan1), End: tp(day(2)), Catchup: true}, 5,
			[]DataInterval{*iv(day(1), day(2)), *iv(day(2), day(3))}},
		{"interval", "every 12h", nil, TimetableParams{Start: tp(jan1)}, 2,
			[]DataInterval{*iv(day(10), day(10).Add(12*time.Hour)), *iv(day(10).Add(12*time.Hour), day(11))}},
		{"once", "@once", nil, TimetableParams{Start: tp(jan1)}, 3, []DataInterval{*iv(jan1, jan1)}},
		{"once done", "@once", iv(jan1, jan1), TimetableParams{Start: tp(jan1)}, 3, nil},
		{"none", "", nil, TimetableParams{Start: tp(jan1)}, 3, nil},
		{"zero n", "@daily", nil, TimetableParams{Start: tp(jan1)}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.expr).NextRuns(tt.last, tt.p, from, tt.n)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d intervals %v, want %d", len(got), got, len(tt.want))
			}
			for i := range got {
				if !sameInterval(got[i], tt.want[i]) {
					t.Errorf("[%d] got %s, want %s", i, fmtInterval(got[i]), fmtInterval(tt.want[i]))
				}
			}
		})
	}
}

// TestCronIntervalsContiguous walks a year of several schedules in a DST
// zone: each interval must start where the one before ended, move forward,
// and the previous-tick search must agree with the forward one.
func TestCronIntervalsContiguous(t *testing.T) {
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
		loc := mustLoad(t, zone)
		for _, expr := range []string{"@hourly", "@daily", "30 2 * * *", "*/20 1-3 * * *", "0 */2 * * *", "15 1 * * 0", "@monthly"} {
			s := mustParse(t, expr)
			p := TimetableParams{Start: tp(utc(2024, 1, 1, 0, 0)), Catchup: true, Location: loc}
			runs := s.NextRuns(nil, p, utc(2024, 1, 1, 0, 0), 400)
			if len(runs) != 400 {
				t.Fatalf("%s %s: got %d runs", zone, expr, len(runs))
			}
			for i, r := range runs {
				if !r.End.After(r.Start) {
					t.Fatalf("%s %s: run %d %s does not move forward", zone, expr, i, fmtInterval(r))
				}
				if i > 0 && !r.Start.Equal(runs[i-1].End) {
					t.Fatalf("%s %s: run %d %s does not follow %s", zone, expr, i, fmtInterval(r), fmtInterval(runs[i-1]))
				}
				if prev := s.cron.before(r.End, loc); !prev.Equal(r.Start) {
					t.Fatalf("%s %s: tick before %s is %s, want %s", zone, expr, r.End, prev, r.Start)
				}
				if r.End.Sub(r.Start) < 0 {
					t.Fatalf("negative interval")
				}
			}
		}
	}
}

// TestNextWallMatchesCronLibrary checks the bit-scanning search against the
// cron library's own Next, evaluated in UTC where DST does not interfere.
func TestNextWallMatchesCronLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(opts ...string) string { return opts[rng.IntN(len(opts))] }
	field := func(lo, hi int) string {
		a := lo + rng.IntN(hi-lo+1)
		b := a + rng.IntN(hi-a+1)
		return pick("*", "*", fmt.Sprint(a), fmt.Sprintf("%d-%d", a, b),
			fmt.Sprintf("*/%d", 1+rng.IntN(hi-lo+1)), fmt.Sprintf("%d,%d", a, b), fmt.Sprintf("%d-%d/%d", a, b, 1+rng.IntN(3)))
	}
	base := utc(2000, 1, 1, 0, 0)
	for range 2000 {
		expr := strings.Join([]string{field(0, 59), field(0, 23), field(1, 31), field(1, 12), field(0, 6)}, " ")
		s, err := ParseSchedule(expr)
		if err != nil {
			continue // e.g. a day the month never has
		}
		for range 5 {
			from := base.Add(time.Duration(rng.Int64N(int64(30 * 365 * 24 * time.Hour)))).Add(time.Duration(rng.IntN(120)) * time.Second)
			want := s.cron.spec.Next(from)
			got := s.cron.nextWall(from)
			if want.IsZero() {
				// The library gives up after five years; ours looks further.
				if !got.IsZero() && got.Sub(from) < 4*365*24*time.Hour {
					t.Errorf("%q after %s: got %s, the library found nothing", expr, from, got)
				}
				continue
			}
			if !got.Equal(want) {
				t.Errorf("%q after %s: got %s, want %s", expr, from, got, want)
			}
			if got := s.cron.next(from, time.UTC); !got.Equal(want) {
				t.Errorf("%q after %s in UTC: got %s, want %s", expr, from, got, want)
			}
		}
	}
}

func TestDescription(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "Manual only"},
		{"none", "Manual only"},
		{"@once", "Once"},
		{"every 10m", "Every 10m0s"},
		{"every 1h30m", "Every 1h30m0s"},
		{"* * * * *", "Every minute"},
		{"*/5 * * * *", "Every 5 minutes"},
		{"@hourly", "Every hour at minute 0"},
		{"15 * * * *", "Every hour at minute 15"},
		{"0 */6 * * *", "Every 6 hours at minute 0"},
		{"@daily", "At 00:00 every day"},
		{"0 3 * * *", "At 03:00 every day"},
		{"30 14 * * *", "At 14:30 every day"},
		{"0 0 * * 1", "At 00:00 on Monday"},
		{"@weekly", "At 00:00 on Sunday"},
		{"0 9 * * 1-5", "At 09:00 on Monday through Friday"},
		{"0 9 * * MON-FRI", "At 09:00 on Monday through Friday"},
		{"0 9 * * 1,3,5", "At 09:00 on Monday, Wednesday and Friday"},
		{"@monthly", "At 00:00 on day 1 of every month"},
		{"0 6 15 * *", "At 06:00 on day 15 of every month"},
		{"@quarterly", "At 00:00 on day 1 of every 3 months"},
		{"@yearly", "At 00:00 on January 1"},
		{"0 12 25 dec *", "At 12:00 on December 25"},
		{"0 9,17 * * *", "Cron: 0 9,17 * * *"},
		{"0 0 1-7 * 1", "Cron: 0 0 1-7 * 1"},
		{"5-10 * * * *", "Cron: 5-10 * * * *"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := mustParse(t, tt.expr).Description(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := (Schedule{}).Description(); got != "Manual only" {
		t.Errorf("zero Schedule: got %q", got)
	}
}

func BenchmarkNextRun(b *testing.B) {
	berlin := mustLoad(b, "Europe/Berlin")
	s := mustParse(b, "30 2 * * *")
	p := TimetableParams{Start: tp(utc(2024, 1, 1, 0, 0)), Location: berlin}
	last := iv(utc(2024, 3, 29, 1, 30), utc(2024, 3, 30, 1, 30))
	now := utc(2024, 4, 2, 12, 0)
	for b.Loop() {
		if _, ok := s.NextRun(last, p, now); !ok {
			b.Fatal("no next run")
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 1, 31, 6, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-01-31T06:00:00Z", "2026-01-31T07:00:00+01:00", "2026-01-31 06:00:00", "2026-01-31T06:00:00"} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if got, err := ParseTime("2026-01-31"); err != nil || !got.Equal(time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a date alone: %v %v", got, err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("yesterday parsed")
	}
}
