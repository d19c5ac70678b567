package dag

import (
	"time"
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
}

// ParseSchedule parses a schedule expression: "" or "none" for manual only,
// @once, Airflow's presets, a 5-field cron expression, or "every <duration>".
func ParseSchedule(expr string) (Schedule, error) {
	return Schedule{Kind: ScheduleNone, Expr: expr}, nil
}
