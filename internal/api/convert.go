package api

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

// The response bodies carry every field Airflow's document requires, with
// null where updraft has no such thing (bundles, triggerer, notes), so that
// Airflow's clients can read them.

type dagTag struct {
	Name           string `json:"name"`
	DagID          string `json:"dag_id"`
	DagDisplayName string `json:"dag_display_name"`
}

type dagResponse struct {
	DagID                       string     `json:"dag_id"`
	DagDisplayName              string     `json:"dag_display_name"`
	IsPaused                    bool       `json:"is_paused"`
	IsStale                     bool       `json:"is_stale"`
	LastParsedTime              *time.Time `json:"last_parsed_time"`
	LastExpired                 *time.Time `json:"last_expired"`
	BundleName                  *string    `json:"bundle_name"`
	BundleVersion               *string    `json:"bundle_version"`
	RelativeFileloc             *string    `json:"relative_fileloc"`
	Fileloc                     string     `json:"fileloc"`
	Description                 *string    `json:"description"`
	TimetableSummary            *string    `json:"timetable_summary"`
	TimetableDescription        *string    `json:"timetable_description"`
	Tags                        []dagTag   `json:"tags"`
	MaxActiveTasks              int        `json:"max_active_tasks"`
	MaxActiveRuns               *int       `json:"max_active_runs"`
	MaxConsecutiveFailedDagRuns int        `json:"max_consecutive_failed_dag_runs"`
	HasTaskConcurrencyLimits    bool       `json:"has_task_concurrency_limits"`
	HasImportErrors             bool       `json:"has_import_errors"`
	NextDagrunLogicalDate       *time.Time `json:"next_dagrun_logical_date"`
	NextDagrunDataIntervalStart *time.Time `json:"next_dagrun_data_interval_start"`
	NextDagrunDataIntervalEnd   *time.Time `json:"next_dagrun_data_interval_end"`
	NextDagrunRunAfter          *time.Time `json:"next_dagrun_run_after"`
	Owners                      []string   `json:"owners"`
	FileToken                   string     `json:"file_token"`
}

// toDag renders a DAG row with the settings of its parsed latest version
// (nil when it cannot be loaded).
func toDag(row *store.Dag, d *dag.DAG, importErrors map[string]bool) dagResponse {
	r := dagResponse{
		DagID: row.DagID, DagDisplayName: row.DagID, IsPaused: row.IsPaused, IsStale: !row.IsActive,
		Fileloc: row.FileLoc, Tags: []dagTag{}, Owners: []string{},
		HasImportErrors: importErrors[row.FileLoc], FileToken: row.FileLoc,
		MaxActiveTasks: dag.DefaultMaxActiveTasks,
	}
	if !row.LastParsedAt.IsZero() {
		r.LastParsedTime = utc(row.LastParsedAt)
	}
	base := filepath.Base(row.FileLoc)
	r.RelativeFileloc = &base
	r.Description = nonEmpty(row.Description)
	r.TimetableSummary = nonEmpty(row.Schedule)
	for _, t := range row.Tags {
		r.Tags = append(r.Tags, dagTag{Name: t, DagID: row.DagID, DagDisplayName: row.DagID})
	}
	if row.Owner != "" {
		r.Owners = []string{row.Owner}
	}
	if n := row.NextDataInterval; n != nil {
		r.NextDagrunLogicalDate, r.NextDagrunDataIntervalStart = utc(n.Start), utc(n.Start)
		r.NextDagrunDataIntervalEnd, r.NextDagrunRunAfter = utc(n.End), utc(n.End)
	}
	if d != nil {
		r.MaxActiveTasks = d.MaxActiveTasks
		r.MaxActiveRuns = &d.MaxActiveRuns
		r.TimetableDescription = nonEmpty(d.Schedule.Description())
		for _, t := range d.Tasks {
			r.HasTaskConcurrencyLimits = r.HasTaskConcurrencyLimits || t.Pool != dag.DefaultPool
		}
	}
	return r
}

type dagVersionResponse struct {
	ID             string    `json:"id"`
	VersionNumber  int       `json:"version_number"`
	DagID          string    `json:"dag_id"`
	BundleName     *string   `json:"bundle_name"`
	BundleVersion  *string   `json:"bundle_version"`
	CreatedAt      time.Time `json:"created_at"`
	DagDisplayName string    `json:"dag_display_name"`
	BundleURL      *string   `json:"bundle_url"`
}

func toDagVersion(v *store.DagVersion) dagVersionResponse {
	hash := v.Hash
	return dagVersionResponse{ID: strconv.FormatInt(v.ID, 10), VersionNumber: v.VersionNumber, DagID: v.DagID,
		BundleVersion: &hash, CreatedAt: v.CreatedAt.UTC(), DagDisplayName: v.DagID}
}

type dagRunResponse struct {
	DagRunID               string               `json:"dag_run_id"`
	DagID                  string               `json:"dag_id"`
	LogicalDate            *time.Time           `json:"logical_date"`
	QueuedAt               *time.Time           `json:"queued_at"`
	StartDate              *time.Time           `json:"start_date"`
	EndDate                *time.Time           `json:"end_date"`
	Duration               *float64             `json:"duration"`
	DataIntervalStart      *time.Time           `json:"data_interval_start"`
	DataIntervalEnd        *time.Time           `json:"data_interval_end"`
	RunAfter               time.Time            `json:"run_after"`
	LastSchedulingDecision *time.Time           `json:"last_scheduling_decision"`
	RunType                string               `json:"run_type"`
	State                  string               `json:"state"`
	TriggeredBy            *string              `json:"triggered_by"`
	TriggeringUserName     *string              `json:"triggering_user_name"`
	Conf                   json.RawMessage      `json:"conf"`
	Note                   *string              `json:"note"`
	DagVersions            []dagVersionResponse `json:"dag_versions"`
	BundleVersion          *string              `json:"bundle_version"`
	DagDisplayName         string               `json:"dag_display_name"`
}

func toDagRun(r *store.DagRun, v *store.DagVersion) dagRunResponse {
	out := dagRunResponse{
		DagRunID: r.RunID, DagID: r.DagID, LogicalDate: utc(r.LogicalDate), QueuedAt: utcPtr(r.QueuedAt),
		StartDate: utcPtr(r.StartDate), EndDate: utcPtr(r.EndDate),
		DataIntervalStart: utc(r.DataInterval.Start), DataIntervalEnd: utc(r.DataInterval.End),
		RunAfter: r.DataInterval.End.UTC(), RunType: string(r.RunType), State: string(r.State),
		Conf: r.Conf, DagVersions: []dagVersionResponse{}, DagDisplayName: r.DagID,
	}
	if r.RunType == dag.RunManual {
		// A manual run is due when it was triggered, not at its interval's end.
		out.RunAfter = r.LogicalDate.UTC()
	}
	if len(out.Conf) == 0 {
		out.Conf = json.RawMessage("{}")
	}
	if r.StartDate != nil && r.EndDate != nil {
		d := r.EndDate.Sub(*r.StartDate).Seconds()
		out.Duration = &d
	}
	if v != nil {
		out.DagVersions = append(out.DagVersions, toDagVersion(v))
		out.BundleVersion = out.DagVersions[0].BundleVersion
	}
	return out
}

func utc(t time.Time) *time.Time {
	t = t.UTC()
	return &t
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return utc(*t)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// tiFields are what a task instance and each of its tries show alike:
// Airflow's TaskInstanceHistoryResponse is TaskInstanceResponse without
// the run's fields.
type tiFields struct {
	TaskID          string              `json:"task_id"`
	DagID           string              `json:"dag_id"`
	DagRunID        string              `json:"dag_run_id"`
	MapIndex        int                 `json:"map_index"`
	StartDate       *time.Time          `json:"start_date"`
	EndDate         *time.Time          `json:"end_date"`
	Duration        *float64            `json:"duration"`
	State           *string             `json:"state"`
	TryNumber       int                 `json:"try_number"`
	MaxTries        int                 `json:"max_tries"`
	TaskDisplayName string              `json:"task_display_name"`
	DagDisplayName  string              `json:"dag_display_name"`
	Hostname        *string             `json:"hostname"`
	Unixname        *string             `json:"unixname"`
	Pool            string              `json:"pool"`
	PoolSlots       int                 `json:"pool_slots"`
	Queue           *string             `json:"queue"`
	PriorityWeight  *int                `json:"priority_weight"`
	Operator        *string             `json:"operator"`
	OperatorName    *string             `json:"operator_name"`
	QueuedWhen      *time.Time          `json:"queued_when"`
	ScheduledWhen   *time.Time          `json:"scheduled_when"`
	PID             *int                `json:"pid"`
	Executor        *string             `json:"executor"`
	ExecutorConfig  string              `json:"executor_config"`
	DagVersion      *dagVersionResponse `json:"dag_version"`
}

type taskInstanceResponse struct {
	ID string `json:"id"`
	tiFields
	LogicalDate      *time.Time      `json:"logical_date"`
	RunAfter         time.Time       `json:"run_after"`
	Note             *string         `json:"note"`
	RenderedMapIndex *string         `json:"rendered_map_index"`
	RenderedFields   json.RawMessage `json:"rendered_fields"`
	Trigger          any             `json:"trigger"`
	TriggererJob     any             `json:"triggerer_job"`
}

// toTIFields renders the fields a task instance shares with its tries, as
// they stand for its current try.
func toTIFields(ti *store.TaskInstance) tiFields {
	f := tiFields{
		TaskID: ti.TaskID, DagID: ti.DagID, DagRunID: ti.RunID, MapIndex: ti.MapIndex,
		StartDate: utcPtr(ti.StartDate), EndDate: utcPtr(ti.EndDate),
		TryNumber: ti.TryNumber, MaxTries: ti.MaxTries, TaskDisplayName: ti.TaskID, DagDisplayName: ti.DagID,
		Hostname: nonEmpty(ti.Hostname), Pool: ti.Pool, PoolSlots: ti.PoolSlots, PriorityWeight: &ti.PriorityWeight,
		QueuedWhen: utcPtr(ti.QueuedAt), Executor: nonEmpty(ti.Executor), ExecutorConfig: "{}",
	}
	if ti.State != dag.TaskNone {
		st := string(ti.State)
		f.State = &st
	}
	if ti.PID != 0 {
		f.PID = &ti.PID
	}
	if ti.StartDate != nil && ti.EndDate != nil {
		d := ti.EndDate.Sub(*ti.StartDate).Seconds()
		f.Duration = &d
	}
	return f
}

func toTaskInstance(ti *store.TaskInstance) taskInstanceResponse {
	out := taskInstanceResponse{
		ID:       fmt.Sprintf("%d-%s-%d", ti.RunPK, ti.TaskID, ti.MapIndex),
		tiFields: toTIFields(ti), LogicalDate: utc(ti.LogicalDate), RunAfter: ti.LogicalDate.UTC(),
		RenderedFields: ti.Rendered,
	}
	if len(out.RenderedFields) == 0 {
		out.RenderedFields = json.RawMessage("{}")
	}
	return out
}
