package dag

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ScheduleKind says what a DAG's schedule is made of.
type ScheduleKind string

const (
	// ScheduleNone: manual triggers only (schedule: null).
	ScheduleNone ScheduleKind = "none"
	// ScheduleOnce: one run at the start date (@once).
	ScheduleOnce ScheduleKind = "once"
	// ScheduleCron: a 5-field cron expression or an Airflow preset like @daily.
	ScheduleCron ScheduleKind = "cron"
	// ScheduleInterval: a fixed interval from the start date ("every 10m").
	ScheduleInterval ScheduleKind = "interval"
)

// DataInterval is the span of time a run covers; its logical date is Start.
type DataInterval struct {
	Start time.Time
	End   time.Time
}

// Schedule is a parsed schedule expression. The zero value is ScheduleNone.
type Schedule struct {
	Kind ScheduleKind
	// Expr is the expression as written in the DAG file.
	Expr string
	// Every is the interval of a ScheduleInterval.
	Every time.Duration

	// cron is the parsed form of a ScheduleCron. It is nil on a Schedule built
	// by hand rather than by ParseSchedule; Expr is then parsed when needed.
	cron *cronSpec
}

// TimetableParams are the DAG fields a timetable needs besides the schedule:
// Airflow's start_date, end_date, catchup and timezone.
type TimetableParams struct {
	Start, End *time.Time
	Catchup    bool
	// Location is the time zone cron expressions are evaluated in; nil is UTC.
	Location *time.Location
}

func (p TimetableParams) location() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// cronPresets are Airflow's cron presets (airflow.utils.dates.cron_presets)
// plus the aliases the cron library knows.
var cronPresets = map[string]string{
	"@hourly":    "0 * * * *",
	"@daily":     "0 0 * * *",
	"@midnight":  "0 0 * * *",
	"@weekly":    "0 0 * * 0",
	"@monthly":   "0 0 1 * *",
	"@quarterly": "0 0 1 */3 *",
	"@yearly":    "0 0 1 1 *",
	"@annually":  "0 0 1 1 *",
}

// cronParser reads exactly the five standard fields. Descriptors and TZ=
// prefixes are left out on purpose: presets are expanded here and the time
// zone belongs to the DAG, not to the expression.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseSchedule parses a schedule expression: "" or "none" for manual only,
// @once, Airflow's presets, a 5-field cron expression, or "every <duration>".
func ParseSchedule(expr string) (Schedule, error) {
	e := strings.TrimSpace(expr)
	if e == "" || strings.EqualFold(e, "none") || strings.EqualFold(e, "null") {
		return Schedule{Kind: ScheduleNone, Expr: expr}, nil
	}
	if e == "@once" {
		return Schedule{Kind: ScheduleOnce, Expr: expr}, nil
	}
	if f := strings.Fields(e); strings.EqualFold(f[0], "every") || strings.EqualFold(f[0], "@every") {
		if len(f) != 2 {
			return Schedule{}, fmt.Errorf(`invalid interval %q: want "every <duration>", e.g. "every 10m"`, expr)
		}
		d, err := time.ParseDuration(f[1])
		if err != nil {
			return Schedule{}, fmt.Errorf("invalid interval %q: %w", expr, err)
		}
		if d <= 0 {
			return Schedule{}, fmt.Errorf("invalid interval %q: must be positive", expr)
		}
		return Schedule{Kind: ScheduleInterval, Expr: expr, Every: d}, nil
	}
	fields := e
	if strings.HasPrefix(e, "@") {
		var ok bool
		if fields, ok = cronPresets[e]; !ok {
			return Schedule{}, fmt.Errorf("unknown schedule preset %q: want @once, @hourly, @daily, @weekly, @monthly, @quarterly, @yearly or \"every <duration>\"", expr)
		}
	}
	c, err := parseCron(fields)
	if err != nil {
		return Schedule{}, fmt.Errorf("invalid cron expression %q: %w", expr, err)
	}
	return Schedule{Kind: ScheduleCron, Expr: expr, cron: c}, nil
}

// String returns the expression as written, or "none" for an empty one.
func (s Schedule) String() string {
	if s.Expr == "" {
		return "none"
	}
	return s.Expr
}

// NextRun returns the data interval of the next scheduled run, following
// Airflow's next_dagrun_info. last is the interval of the latest scheduled
// (not manual) run, or nil if there is none. The result may lie in the
// future: a run is due once its End has passed (for @once, its Start); that
// decision is the caller's. It returns false when no run will ever follow:
// manual-only schedules, @once after its run, no start date, past the end
// date.
func (s Schedule) NextRun(last *DataInterval, p TimetableParams, now time.Time) (DataInterval, bool) {
	if p.Start == nil {
		return DataInterval{}, false
	}
	switch s.Kind {
	case ScheduleOnce:
		// Like Airflow, @once runs at the start date whatever catchup says.
		if last != nil || (p.End != nil && p.Start.After(*p.End)) {
			return DataInterval{}, false
		}
		t := p.Start.UTC()
		return DataInterval{Start: t, End: t}, true
	case ScheduleInterval:
		return s.nextInterval(last, p, now)
	case ScheduleCron:
		if c := s.cronSpec(); c != nil {
			return c.nextRun(last, p, now)
		}
	default:
		// Other kinds are handled after the switch.
	}
	return DataInterval{}, false
}

func (s Schedule) nextInterval(last *DataInterval, p TimetableParams, now time.Time) (DataInterval, bool) {
	d := s.Every
	if d <= 0 {
		return DataInterval{}, false
	}
	start := *p.Start
	if !p.Catchup {
		// Skip to the latest interval, aligned to the start date, that has
		// fully elapsed by now; before that one has, the first interval stands.
		if k := now.Sub(start) / d; k >= 1 {
			start = start.Add((k - 1) * d)
		}
	}
	if last != nil && last.End.After(start) {
		start = last.End
	}
	if p.End != nil && start.After(*p.End) {
		return DataInterval{}, false
	}
	return DataInterval{Start: start.UTC(), End: start.Add(d).UTC()}, true
}

// ManualInterval returns the data interval of a run triggered by hand at
// runAfter, following Airflow's infer_manual_data_interval: for cron the
// latest complete interval ending at or before runAfter, for an interval
// schedule the interval ending at runAfter, otherwise the instant runAfter.
func (s Schedule) ManualInterval(runAfter time.Time, p TimetableParams) DataInterval {
	runAfter = runAfter.UTC()
	exact := DataInterval{Start: runAfter, End: runAfter}
	switch s.Kind {
	case ScheduleInterval:
		if s.Every > 0 {
			return DataInterval{Start: runAfter.Add(-s.Every), End: runAfter}
		}
	case ScheduleCron:
		c := s.cronSpec()
		if c == nil {
			return exact
		}
		loc := p.location()
		end := c.atOrBefore(runAfter, loc)
		if end.IsZero() {
			return exact
		}
		start := c.before(end, loc)
		if start.IsZero() {
			return exact
		}
		return DataInterval{Start: start.UTC(), End: end.UTC()}
	default:
		// Other kinds are handled after the switch.
	}
	return exact
}

// NextRuns returns up to n upcoming scheduled intervals after last, as seen
// at from: the first is NextRun's answer at from, each following one comes
// after the one before it.
func (s Schedule) NextRuns(last *DataInterval, p TimetableParams, from time.Time, n int) []DataInterval {
	var out []DataInterval
	for len(out) < n {
		iv, ok := s.NextRun(last, p, from)
		// The progress check guards against a timetable that stops moving,
		// which would otherwise loop until n.
		if !ok || (last != nil && !iv.Start.After(last.Start)) {
			break
		}
		out = append(out, iv)
		last = &out[len(out)-1]
	}
	return out
}

// Description returns the schedule in words for a UI.
func (s Schedule) Description() string {
	switch s.Kind {
	case ScheduleOnce:
		return "Once"
	case ScheduleInterval:
		return "Every " + s.Every.String()
	case ScheduleCron:
		if c := s.cronSpec(); c != nil {
			if d, ok := describeCron(c.fields); ok {
				return d
			}
		}
		return "Cron: " + strings.TrimSpace(s.Expr)
	default:
		// Other kinds are handled after the switch.
	}
	return "Manual only"
}

// cronSpec returns the parsed cron expression, parsing Expr for a Schedule
// that did not come from ParseSchedule; nil if it does not parse.
func (s Schedule) cronSpec() *cronSpec {
	if s.cron != nil {
		return s.cron
	}
	parsed, err := ParseSchedule(s.Expr)
	if err != nil || parsed.Kind != ScheduleCron {
		return nil
	}
	return parsed.cron
}

// cronSpec is a parsed 5-field cron expression. Its ticks are the instants
// whose wall-clock time in the DAG's time zone it matches, with DST changes
// handled as next describes.
type cronSpec struct {
	fields string // the five fields, presets expanded
	spec   *cron.SpecSchedule
	// everyHour is set when the hour field matches all 24 hours: such a
	// schedule follows elapsed time through DST changes instead of the
	// wall clock, as Airflow's cron timetables do.
	everyHour bool
}

const allHours = 1<<24 - 1

// neverRefTime is where the check for expressions that never fire looks
// from; any fixed time will do, it only has to avoid the clock.
var neverRefTime = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

func parseCron(fields string) (*cronSpec, error) {
	if strings.HasPrefix(fields, "TZ=") || strings.HasPrefix(fields, "CRON_TZ=") {
		return nil, fmt.Errorf("time zone prefixes are not supported; set the DAG's timezone instead")
	}
	sched, err := cronParser.Parse(fields)
	if err != nil {
		return nil, err
	}
	spec, ok := sched.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("not a cron expression")
	}
	c := &cronSpec{
		fields:    strings.Join(strings.Fields(fields), " "),
		spec:      spec,
		everyHour: spec.Hour&allHours == allHours,
	}
	if c.nextWall(neverRefTime).IsZero() {
		return nil, fmt.Errorf("it never fires")
	}
	return c, nil
}

func (c *cronSpec) nextRun(last *DataInterval, p TimetableParams, now time.Time) (DataInterval, bool) {
	loc := p.location()
	earliest := c.atOrAfter(*p.Start, loc)
	if earliest.IsZero() {
		return DataInterval{}, false
	}
	if !p.Catchup {
		// Airflow's _skip_to_latest: start no earlier than the interval that
		// most recently ended, so after downtime only the latest one runs.
		if end := c.atOrBefore(now, loc); !end.IsZero() {
			if latest := c.before(end, loc); latest.After(earliest) {
				earliest = latest
			}
		}
	}
	start := earliest
	if last != nil {
		// Aligning to the previous tick keeps the intervals on the schedule
		// when the expression changed since the last run; otherwise last.End
		// is a tick already.
		prev := last.End
		if !c.atOrAfter(prev, loc).Equal(prev) {
			prev = c.atOrBefore(prev, loc)
		}
		if prev.After(start) {
			start = prev
		}
	}
	if p.End != nil && start.After(*p.End) {
		return DataInterval{}, false
	}
	end := c.next(start, loc)
	if end.IsZero() {
		return DataInterval{}, false
	}
	return DataInterval{Start: start.UTC(), End: end.UTC()}, true
}

// next returns the first tick strictly after t, or the zero time if there is
// none within wallLimitYears.
//
// The expression is matched against the wall clock of loc. Between two
// changes of the zone's offset the wall clock is UTC shifted by a constant,
// so within each such period the expression is matched in UTC, where there
// is no DST, and the result shifted back. (The cron library's own Next,
// evaluating in loc, skips whole days around changes that are not a whole
// hour, and fires "30 2 * * *" twice on the autumn change.) Around the
// changes, Airflow's behavior is kept:
//   - a schedule that fires every hour follows elapsed time: the hour lost in
//     spring has no ticks, the hour repeated in autumn has them twice;
//   - a schedule pinned to particular hours follows the wall clock: a wall
//     time lost in a gap fires shifted forward by the gap (02:30 becomes
//     03:30, as pendulum resolves it), and a wall time that repeats fires
//     only the first time, so "30 2 * * *" runs once every day.
func (c *cronSpec) next(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	start, _ := t.ZoneBounds() // start of the period t is in; zero if none
	for cur := t; ; {
		_, off := cur.Zone()
		end := nextZoneChange(cur)
		prevOff := off
		if !start.IsZero() {
			_, prevOff = start.Add(-time.Nanosecond).Zone()
		}
		after := t
		if start.After(after) {
			after = start.Add(-time.Nanosecond)
		}
		if !c.everyHour && prevOff > off {
			// The first part of this period repeats wall times that already
			// had their ticks before the change.
			if repeatEnd := start.Add(seconds(prevOff - off)); after.Before(repeatEnd) {
				after = repeatEnd.Add(-time.Nanosecond)
			}
		}
		var best time.Time
		w := c.nextWall(wallClock(after, off))
		if !w.IsZero() {
			if x := w.Add(-seconds(off)); end.IsZero() || x.Before(end) {
				best = x
			}
		}
		if !c.everyHour && prevOff < off && !start.IsZero() && t.Before(start.Add(seconds(off-prevOff))) {
			// Wall times in [start+prevOff, start+off) never showed on the
			// clock; their ticks land in [start, start+gap), so this is
			// only worth a look while t is before the end of that.
			from := wallClock(t, prevOff)
			if gapStart := wallClock(start, prevOff); from.Before(gapStart) {
				from = gapStart.Add(-time.Nanosecond)
			}
			if g := c.nextWall(from); !g.IsZero() && g.Before(wallClock(start, off)) {
				if x := g.Add(-seconds(prevOff)); best.IsZero() || x.Before(best) {
					best = x
				}
			}
		}
		if !best.IsZero() || w.IsZero() || end.IsZero() {
			return best
		}
		start, cur = end, end
	}
}

// wallLimitYears bounds the search for a matching wall time. The sparsest
// expression that fires at all, a 29th of February, can wait eight years
// (2096 to 2104); a search this long finding nothing means never.
const wallLimitYears = 10

// nextWall returns the first minute strictly after w, a wall-clock reading
// expressed in UTC, that the expression matches, or the zero time. It reads
// the cron library's parsed fields directly: the library's own Next steps a
// minute at a time, and a bit scan is some fifty times faster.
func (c *cronSpec) nextWall(w time.Time) time.Time {
	s := c.spec
	t := w.Truncate(time.Minute).Add(time.Minute)
	limit := t.Year() + wallLimitYears
	for t.Year() <= limit {
		y, mo, d := t.Date()
		if s.Month&(1<<uint(mo)) == 0 {
			t = time.Date(y, mo+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		h, m := t.Hour(), t.Minute()
		nh, ok := nextBit(s.Hour, h, 23)
		if !ok {
			t = time.Date(y, mo, d+1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if nh != h {
			h, m = nh, 0
		}
		nm, ok := nextBit(s.Minute, m, 59)
		if !ok {
			t = time.Date(y, mo, d, h+1, 0, 0, 0, time.UTC)
			continue
		}
		return time.Date(y, mo, d, h, nm, 0, 0, time.UTC)
	}
	return time.Time{}
}

// starBit is the cron library's mark, in the top bit of a field, that the
// field was written "*".
const starBit = 1 << 63

// dayMatches is cron's rule for the two day fields, as the library applies
// it: when both are restricted a day matches either, otherwise both.
func (c *cronSpec) dayMatches(t time.Time) bool {
	dom := c.spec.Dom&(1<<uint(t.Day())) != 0
	dow := c.spec.Dow&(1<<uint(t.Weekday())) != 0
	if c.spec.Dom&starBit != 0 || c.spec.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// nextBit returns the lowest set bit of mask in [from, hi].
func nextBit(mask uint64, from, hi int) (int, bool) {
	m := mask >> uint(from) << uint(from) & (1<<uint(hi+1) - 1)
	if m == 0 {
		return 0, false
	}
	return bits.TrailingZeros64(m), true
}

// wallClock returns the wall-clock reading of t at offset off (seconds east
// of UTC), expressed as a UTC time.
func wallClock(t time.Time, off int) time.Time {
	return t.UTC().Add(seconds(off))
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// nextZoneChange returns the end of the zone period t is in, or zero if the
// location has no further changes. Not every end changes the offset: Go also
// ends periods at year boundaries.
func nextZoneChange(t time.Time) time.Time {
	_, end := t.ZoneBounds()
	for !end.IsZero() && !end.After(t) {
		// Past its table of transitions, Go computes periods from the zone's
		// rule and ends the last one of a leap year a day early, at or before
		// t. No offset changes on New Year's Eve, so stepping past it is safe.
		t = t.Add(time.Hour)
		_, end = t.ZoneBounds()
	}
	return end
}

// atOrAfter returns the first tick at or after t.
func (c *cronSpec) atOrAfter(t time.Time, loc *time.Location) time.Time {
	return c.next(t.Add(-time.Nanosecond), loc)
}

// before returns the last tick strictly before t.
func (c *cronSpec) before(t time.Time, loc *time.Location) time.Time {
	return c.atOrBefore(t.Add(-time.Nanosecond), loc)
}

// maxLookback bounds the search for a previous tick, well beyond the eight
// years the sparsest valid expression, a 29th of February, can go quiet.
const maxLookback = 20 * 366 * 24 * time.Hour

// atOrBefore returns the last tick at or before t, or the zero time. Cron
// expressions are only searched forward, so it looks forward from a point
// before t, doubling the distance until a tick turns up. The first distance
// is the gap between the two ticks after t, so that for a regular schedule
// the tick wanted is found at once rather than after a dozen doublings.
func (c *cronSpec) atOrBefore(t time.Time, loc *time.Location) time.Time {
	w := time.Minute
	if a := c.next(t, loc); !a.IsZero() {
		if b := c.next(a, loc); !b.IsZero() {
			w = b.Sub(a)
		}
	}
	for ; w <= maxLookback; w *= 2 {
		tick := c.next(t.Add(-w), loc)
		if tick.IsZero() || tick.After(t) {
			continue
		}
		for {
			n := c.next(tick, loc)
			if n.IsZero() || n.After(t) {
				return tick
			}
			tick = n
		}
	}
	return time.Time{}
}

var weekdayNames = map[string]string{
	"0": "Sunday", "1": "Monday", "2": "Tuesday", "3": "Wednesday", "4": "Thursday", "5": "Friday", "6": "Saturday",
	"sun": "Sunday", "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday", "sat": "Saturday",
}

var monthNames = map[string]string{
	"jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May", "jun": "June",
	"jul": "July", "aug": "August", "sep": "September", "oct": "October", "nov": "November", "dec": "December",
}

// describeCron puts the common shapes of a cron expression into words; it
// reports false for the rest, which the caller shows as they are.
func describeCron(fields string) (string, bool) {
	f := strings.Fields(fields)
	if len(f) != 5 {
		return "", false
	}
	minute, hour, dom, mon, dow := f[0], f[1], f[2], f[3], f[4]
	if dom == "*" && mon == "*" && dow == "*" {
		switch {
		case minute == "*" && hour == "*":
			return "Every minute", true
		case hour == "*":
			if n, ok := cronStep(minute); ok {
				if n == 1 {
					return "Every minute", true
				}
				return fmt.Sprintf("Every %d minutes", n), true
			}
			if m, ok := cronNumber(minute); ok {
				return fmt.Sprintf("Every hour at minute %d", m), true
			}
			return "", false
		}
		if m, ok := cronNumber(minute); ok {
			if n, ok := cronStep(hour); ok {
				if n == 1 {
					return fmt.Sprintf("Every hour at minute %d", m), true
				}
				return fmt.Sprintf("Every %d hours at minute %d", n, m), true
			}
		}
	}
	m, ok1 := cronNumber(minute)
	h, ok2 := cronNumber(hour)
	if !ok1 || !ok2 {
		return "", false
	}
	at := fmt.Sprintf("At %02d:%02d", h, m)
	switch {
	case dom == "*" && mon == "*" && dow == "*":
		return at + " every day", true
	case dom == "*" && mon == "*":
		if days, ok := describeWeekdays(dow); ok {
			return at + " on " + days, true
		}
	case dow == "*":
		d, ok := cronNumber(dom)
		if !ok {
			return "", false
		}
		if mon == "*" {
			return fmt.Sprintf("%s on day %d of every month", at, d), true
		}
		if n, ok := cronStep(mon); ok {
			return fmt.Sprintf("%s on day %d of every %d months", at, d, n), true
		}
		if name, ok := monthName(mon); ok {
			return fmt.Sprintf("%s on %s %d", at, name, d), true
		}
	}
	return "", false
}

// describeWeekdays handles one day, a range (1-5) or a list (1,3,5).
func describeWeekdays(dow string) (string, bool) {
	if a, b, ok := strings.Cut(dow, "-"); ok {
		from, ok1 := weekdayNames[strings.ToLower(a)]
		to, ok2 := weekdayNames[strings.ToLower(b)]
		if !ok1 || !ok2 {
			return "", false
		}
		return from + " through " + to, true
	}
	parts := strings.Split(dow, ",")
	names := make([]string, len(parts))
	for i, p := range parts {
		name, ok := weekdayNames[strings.ToLower(p)]
		if !ok {
			return "", false
		}
		names[i] = name
	}
	if len(names) == 1 {
		return names[0], true
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1], true
}

func monthName(s string) (string, bool) {
	if n, ok := cronNumber(s); ok && n >= 1 && n <= 12 {
		return time.Month(n).String(), true
	}
	name, ok := monthNames[strings.ToLower(s)]
	return name, ok
}

// cronNumber reads a field that is a single number.
func cronNumber(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

// cronStep reads a field of the form */n.
func cronStep(s string) (int, bool) {
	rest, ok := strings.CutPrefix(s, "*/")
	if !ok {
		return 0, false
	}
	n, ok := cronNumber(rest)
	return n, ok && n > 0
}
