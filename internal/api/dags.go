package api

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/updraft-dev/updraft/internal/dag"
	"github.com/updraft-dev/updraft/internal/store"
)

func (s *Server) getDags(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	p := s.dagFilters(q)
	if err := q.err(); err != nil {
		return err
	}
	rows, total, err := s.st.DagQuery(r.Context(), p)
	if err != nil {
		return orderByError(err)
	}
	return s.writeDags(w, r, rows, total)
}

// dagFilters reads the filters get_dags and patch_dags share.
func (s *Server) dagFilters(q *query) *store.DagQueryParams {
	p := &store.DagQueryParams{Tags: q.list("tags"), DagIDPattern: searchPattern(q.str("dag_id_pattern")), Paused: q.boolean("paused")}
	p.Limit, p.Offset, p.OrderBy = q.page(s.cfg.MaxPageLimit, "dag_id")
	q.oneOf("tags_match_mode", q.list("tags_match_mode"), "any", "all")
	p.TagsMatchAll = q.str("tags_match_mode") == "all"
	if ex := q.boolean("exclude_stale"); ex != nil && !*ex {
		p.IncludeInactive = true
	}
	return p
}

// writeDags answers with DAG rows in a DAGCollectionResponse.
func (s *Server) writeDags(w http.ResponseWriter, r *http.Request, rows []*store.Dag, total int) error {
	errs, err := s.importErrorFiles(r)
	if err != nil {
		return err
	}
	out := make([]dagResponse, 0, len(rows))
	for _, row := range rows {
		out = append(out, toDag(row, s.parsed(r, row), errs))
	}
	writeJSON(w, http.StatusOK, map[string]any{"dags": out, "total_entries": total})
	return nil
}

// parsed returns the DAG's latest version parsed, or nil when there is none
// or it cannot be loaded: a list still shows the row.
func (s *Server) parsed(r *http.Request, row *store.Dag) *dag.DAG {
	if row.LatestVersionID == 0 {
		return nil
	}
	d, err := s.cfg.Versions.Get(r.Context(), row.LatestVersionID)
	if err != nil {
		return nil
	}
	return d
}

func (s *Server) importErrorFiles(r *http.Request) (map[string]bool, error) {
	list, err := s.st.ImportErrorList(r.Context())
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, e := range list {
		m[e.FileLoc] = true
	}
	return m, nil
}

// dagRow finds the DAG a path names, or answers 404.
func (s *Server) dagRow(r *http.Request) (*store.Dag, error) {
	id := r.PathValue("dag_id")
	row, err := s.st.DagGet(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("The DAG with dag_id: `%s` was not found", id)
	}
	return row, err
}

// writeDag answers with one DAG row, its latest version parsed.
func (s *Server) writeDag(w http.ResponseWriter, r *http.Request, row *store.Dag) error {
	errs, err := s.importErrorFiles(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDag(row, s.parsed(r, row), errs))
	return nil
}

func (s *Server) getDag(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	return s.writeDag(w, r, row)
}

func (s *Server) patchDag(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	mask := q.list("update_mask")
	q.oneOf("update_mask", mask, "is_paused")
	if err := q.err(); err != nil {
		return err
	}
	var body struct {
		IsPaused bool `json:"is_paused"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	if err := s.st.DagSetPaused(r.Context(), row.DagID, body.IsPaused); err != nil {
		return err
	}
	row.IsPaused = body.IsPaused
	if !body.IsPaused && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return s.writeDag(w, r, row)
}

type dagDetailsResponse struct {
	dagResponse
	Catchup                   bool                `json:"catchup"`
	DagRunTimeout             *string             `json:"dag_run_timeout"`
	AssetExpression           any                 `json:"asset_expression"`
	DocMD                     *string             `json:"doc_md"`
	StartDate                 *time.Time          `json:"start_date"`
	EndDate                   *time.Time          `json:"end_date"`
	IsPausedUponCreation      *bool               `json:"is_paused_upon_creation"`
	Params                    map[string]any      `json:"params"`
	RenderTemplateAsNativeObj bool                `json:"render_template_as_native_obj"`
	TemplateSearchPath        []string            `json:"template_search_path"`
	Timezone                  *string             `json:"timezone"`
	LastParsed                *time.Time          `json:"last_parsed"`
	DefaultArgs               map[string]any      `json:"default_args"`
	Concurrency               int                 `json:"concurrency"`
	LatestDagVersion          *dagVersionResponse `json:"latest_dag_version"`
}

func (s *Server) getDagDetails(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	errs, err := s.importErrorFiles(r)
	if err != nil {
		return err
	}
	d := s.parsed(r, row)
	out := dagDetailsResponse{dagResponse: toDag(row, d, errs), LastParsed: utc(row.LastParsedAt)}
	out.Concurrency = out.MaxActiveTasks
	if row.LatestVersionID != 0 {
		v, err := s.st.DagVersionGet(r.Context(), row.LatestVersionID)
		if err != nil {
			return err
		}
		vr := toDagVersion(v)
		out.LatestDagVersion = &vr
		out.DefaultArgs = defaultArgs(v.Source)
	}
	if d != nil {
		out.Catchup = d.Catchup
		if d.DagrunTimeout > 0 {
			t := isoDuration(d.DagrunTimeout)
			out.DagRunTimeout = &t
		}
		out.StartDate, out.EndDate = utcPtr(d.StartDate), utcPtr(d.EndDate)
		if d.Timezone != nil {
			tz := d.Timezone.String()
			out.Timezone = &tz
		}
		out.Params = map[string]any{}
		for _, p := range d.Params {
			out.Params[p.Name] = map[string]any{"__class": "airflow.sdk.definitions.param.Param",
				"value": p.Default, "description": nonEmpty(p.Description), "schema": paramSchema(p)}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// defaultArgs are the default_args of a DAG file as written: the model
// keeps them only applied to each task. Nil when the file has none.
func defaultArgs(source []byte) map[string]any {
	var f struct {
		DefaultArgs map[string]any `yaml:"default_args"`
	}
	if err := yaml.Unmarshal(source, &f); err != nil {
		return nil
	}
	return f.DefaultArgs
}

// paramSchema is a param's JSON Schema, as Airflow shows it.
func paramSchema(p dag.Param) map[string]any {
	s := map[string]any{}
	if p.Type != dag.ParamAny {
		s["type"] = string(p.Type)
	}
	if len(p.Enum) > 0 {
		s["enum"] = p.Enum
	}
	if p.Minimum != nil {
		s["minimum"] = *p.Minimum
	}
	if p.Maximum != nil {
		s["maximum"] = *p.Maximum
	}
	return s
}

// isoDuration writes a duration as ISO 8601 (P1DT2H3M4.5S), as Airflow's
// document has timedelta fields in that format.
func isoDuration(d time.Duration) string {
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	out := "P"
	if days > 0 {
		out += strconv.FormatInt(days, 10) + "D"
	}
	out += "T" + strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "S"
	return out
}

type timeDelta struct {
	Type         string `json:"__type"`
	Days         int64  `json:"days"`
	Seconds      int64  `json:"seconds"`
	Microseconds int64  `json:"microseconds"`
}

func toTimeDelta(d time.Duration) *timeDelta {
	if d <= 0 {
		return nil
	}
	us := d.Microseconds()
	day := int64(24 * 3600 * 1e6)
	return &timeDelta{Type: "TimeDelta", Days: us / day, Seconds: us % day / 1e6, Microseconds: us % 1e6}
}

type taskResponse struct {
	TaskID                  string     `json:"task_id"`
	TaskDisplayName         string     `json:"task_display_name"`
	Owner                   *string    `json:"owner"`
	StartDate               *time.Time `json:"start_date"`
	EndDate                 *time.Time `json:"end_date"`
	TriggerRule             string     `json:"trigger_rule"`
	DependsOnPast           bool       `json:"depends_on_past"`
	WaitForDownstream       bool       `json:"wait_for_downstream"`
	Retries                 int        `json:"retries"`
	Queue                   *string    `json:"queue"`
	Pool                    string     `json:"pool"`
	PoolSlots               int        `json:"pool_slots"`
	ExecutionTimeout        *timeDelta `json:"execution_timeout"`
	RetryDelay              *timeDelta `json:"retry_delay"`
	RetryExponentialBackoff bool       `json:"retry_exponential_backoff"`
	PriorityWeight          int        `json:"priority_weight"`
	WeightRule              *string    `json:"weight_rule"`
	UIColor                 *string    `json:"ui_color"`
	UIFgcolor               *string    `json:"ui_fgcolor"`
	TemplateFields          []string   `json:"template_fields"`
	DownstreamTaskIDs       []string   `json:"downstream_task_ids"`
	DocMD                   *string    `json:"doc_md"`
	OperatorName            string     `json:"operator_name"`
	Params                  any        `json:"params"`
	ClassRef                any        `json:"class_ref"`
	IsMapped                bool       `json:"is_mapped"`
	ExtraLinks              []string   `json:"extra_links"`
}

func toTask(d *dag.DAG, t *dag.Task) taskResponse {
	weight := "downstream"
	op := operatorName(t)
	down := append([]string{}, d.Graph().Downstream(t.ID)...)
	slices.Sort(down)
	return taskResponse{
		TaskID: t.ID, TaskDisplayName: t.ID, Owner: nonEmpty(t.Owner), TriggerRule: string(t.TriggerRule),
		DependsOnPast: t.DependsOnPast, Retries: t.Retries, Pool: t.Pool, PoolSlots: t.PoolSlots,
		ExecutionTimeout: toTimeDelta(t.ExecutionTimeout), RetryDelay: toTimeDelta(t.RetryDelay),
		RetryExponentialBackoff: t.RetryExponentialBackoff, PriorityWeight: d.Graph().PriorityWeight(t.ID),
		WeightRule: &weight, TemplateFields: []string{"command", "env"}, DownstreamTaskIDs: down,
		OperatorName: op, ExtraLinks: []string{},
	}
}

// operatorName is what Airflow's answers call a task's operator: an empty
// task is an EmptyOperator, any other runs a command.
func operatorName(t *dag.Task) string {
	if t.Empty() {
		return "EmptyOperator"
	}
	return "CommandOperator"
}

func (s *Server) latestDag(r *http.Request) (*dag.DAG, error) {
	row, err := s.dagRow(r)
	if err != nil {
		return nil, err
	}
	if row.LatestVersionID == 0 {
		return nil, notFound("The DAG with dag_id: `%s` has no parsed version", row.DagID)
	}
	return s.cfg.Versions.Get(r.Context(), row.LatestVersionID)
}

func (s *Server) getTasks(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	order := q.str("order_by")
	if err := q.err(); err != nil {
		return err
	}
	d, err := s.latestDag(r)
	if err != nil {
		return err
	}
	tasks := make([]taskResponse, 0, len(d.Tasks))
	for _, t := range d.Tasks {
		tasks = append(tasks, toTask(d, t))
	}
	desc := strings.HasPrefix(order, "-")
	field := strings.TrimPrefix(order, "-")
	keys := map[string]func(a, b taskResponse) int{
		"task_id":         func(a, b taskResponse) int { return strings.Compare(a.TaskID, b.TaskID) },
		"priority_weight": func(a, b taskResponse) int { return a.PriorityWeight - b.PriorityWeight },
		"pool":            func(a, b taskResponse) int { return strings.Compare(a.Pool, b.Pool) },
		"retries":         func(a, b taskResponse) int { return a.Retries - b.Retries },
		"trigger_rule":    func(a, b taskResponse) int { return strings.Compare(a.TriggerRule, b.TriggerRule) },
	}
	if field == "" {
		field = "task_id"
	}
	cmp, ok := keys[field]
	if !ok {
		return badRequest("Ordering with '%s' is disallowed or the attribute does not exist on the model", field)
	}
	slices.SortStableFunc(tasks, func(a, b taskResponse) int {
		if desc {
			return cmp(b, a)
		}
		return cmp(a, b)
	})
	writeJSON(w, http.StatusOK, map[string]any{"tasks": tasks, "total_entries": len(tasks)})
	return nil
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	d, err := s.latestDag(r)
	if err != nil {
		return err
	}
	t := d.Task(r.PathValue("task_id"))
	if t == nil {
		return notFound("Task `%s` not found in DAG `%s`", r.PathValue("task_id"), d.ID)
	}
	writeJSON(w, http.StatusOK, toTask(d, t))
	return nil
}

func (s *Server) getDagSource(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	number := q.integer("version_number", 0, 1)
	if err := q.err(); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	var v *store.DagVersion
	if number > 0 {
		v, err = s.st.DagVersionGetByNumber(r.Context(), row.DagID, number)
	} else if row.LatestVersionID != 0 {
		v, err = s.st.DagVersionGet(r.Context(), row.LatestVersionID)
	} else {
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound("The source of DAG `%s` (version %d) was not found", row.DagID, number)
	}
	if err != nil {
		return err
	}
	accept := r.Header.Get("Accept")
	switch {
	case accept == "" || strings.Contains(accept, "application/json") || strings.Contains(accept, "*/*"):
		content := string(v.Source)
		writeJSON(w, http.StatusOK, map[string]any{"content": content, "dag_id": row.DagID,
			"version_number": v.VersionNumber, "dag_display_name": row.DagID})
	case strings.Contains(accept, "text/plain"):
		// Plain text with nosniff: a browser never renders the source as HTML.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(v.Source) //nolint:gosec // served as text/plain with nosniff

	default:
		return errorf(http.StatusNotAcceptable, "Only application/json or text/plain is supported")
	}
	return nil
}

func (s *Server) getDagTags(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, order := q.page(s.cfg.MaxPageLimit, "name")
	q.oneOf("order_by", []string{order}, "name", "-name")
	pattern := strings.ToLower(searchPattern(q.str("tag_name_pattern")))
	if err := q.err(); err != nil {
		return err
	}
	tags, err := s.st.DagTagList(r.Context())
	if err != nil {
		return err
	}
	var out []string
	for _, t := range tags {
		if pattern == "" || likeMatch(pattern, strings.ToLower(t)) {
			out = append(out, t)
		}
	}
	if order == "-name" {
		slices.Reverse(out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": pageOf(out, limit, offset), "total_entries": len(out)})
	return nil
}

// pageOf slices one page out of a list held in memory.
func pageOf[T any](all []T, limit, offset int) []T {
	if offset >= len(all) {
		return []T{}
	}
	all = all[offset:]
	if limit < len(all) {
		all = all[:limit]
	}
	return all
}

// likeMatch matches s against a SQL LIKE pattern: % any run, _ one rune.
// Dynamic programming over the runes, so no pattern takes more than
// len(pattern)·len(s) steps.
func likeMatch(pattern, s string) bool {
	t := []rune(s)
	// row[j]: the pattern so far matches t[:j].
	row := make([]bool, len(t)+1)
	row[0] = true
	for _, c := range pattern {
		next := make([]bool, len(t)+1)
		if c == '%' {
			next[0] = row[0]
		}
		for j := 1; j <= len(t); j++ {
			switch c {
			case '%':
				next[j] = row[j] || next[j-1]
			case '_':
				next[j] = row[j-1]
			default:
				next[j] = row[j-1] && t[j-1] == c
			}
		}
		row = next
	}
	return row[len(t)]
}

// searchPattern turns a *_pattern parameter into a LIKE pattern as Airflow
// does: it matches anywhere in the name (%value%), and ~ matches all.
func searchPattern(v string) string {
	if v == "" || v == allDags {
		return ""
	}
	return "%" + v + "%"
}

type importErrorResponse struct {
	ImportErrorID int64     `json:"import_error_id"`
	Timestamp     time.Time `json:"timestamp"`
	Filename      string    `json:"filename"`
	BundleName    *string   `json:"bundle_name"`
	StackTrace    string    `json:"stack_trace"`
}

func toImportError(e *store.ImportError) importErrorResponse {
	return importErrorResponse{ImportErrorID: e.ID, Timestamp: e.Timestamp.UTC(), Filename: e.FileLoc, StackTrace: e.Message}
}

func (s *Server) getImportErrors(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	limit, offset, order := q.page(s.cfg.MaxPageLimit, "id")
	keys := map[string]func(a, b *store.ImportError) int{
		"id":        func(a, b *store.ImportError) int { return int(a.ID - b.ID) },
		"filename":  func(a, b *store.ImportError) int { return strings.Compare(a.FileLoc, b.FileLoc) },
		"timestamp": func(a, b *store.ImportError) int { return a.Timestamp.Compare(b.Timestamp) },
	}
	cmp, ok := keys[strings.TrimPrefix(order, "-")]
	if !ok {
		q.fail("value_error", "order_by must be id, filename or timestamp, optionally with a leading -", "order_by")
	}
	if err := q.err(); err != nil {
		return err
	}
	list, err := s.st.ImportErrorList(r.Context())
	if err != nil {
		return err
	}
	slices.SortStableFunc(list, func(a, b *store.ImportError) int {
		if strings.HasPrefix(order, "-") {
			a, b = b, a
		}
		if c := cmp(a, b); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	out := make([]importErrorResponse, 0, len(list))
	for _, e := range pageOf(list, limit, offset) {
		out = append(out, toImportError(e))
	}
	writeJSON(w, http.StatusOK, map[string]any{"import_errors": out, "total_entries": len(list)})
	return nil
}

func (s *Server) getImportError(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("import_error_id"), 10, 64)
	if err != nil {
		return invalid("int_parsing", "must be an integer", "path", "import_error_id")
	}
	list, err := s.st.ImportErrorList(r.Context())
	if err != nil {
		return err
	}
	for _, e := range list {
		if e.ID == id {
			writeJSON(w, http.StatusOK, toImportError(e))
			return nil
		}
	}
	return notFound("The ImportError with import_error_id: `%d` was not found", id)
}

func (s *Server) getDagVersions(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	var p store.Page
	p.Limit, p.Offset, p.OrderBy = q.page(s.cfg.MaxPageLimit, "id")
	// id orders as version_number does: both grow with each version.
	switch p.OrderBy {
	case "id":
		p.OrderBy = "version_number"
	case "-id":
		p.OrderBy = "-version_number"
	}
	if err := q.err(); err != nil {
		return err
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	list, total, err := s.st.DagVersionList(r.Context(), row.DagID, p)
	if err != nil {
		return orderByError(err)
	}
	out := make([]dagVersionResponse, 0, len(list))
	for _, v := range list {
		out = append(out, toDagVersion(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"dag_versions": out, "total_entries": total})
	return nil
}

func (s *Server) getDagVersion(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := newQuery(r, c.op).err(); err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("version_number"))
	if err != nil {
		return invalid("int_parsing", "must be an integer", "path", "version_number")
	}
	row, err := s.dagRow(r)
	if err != nil {
		return err
	}
	v, err := s.st.DagVersionGetByNumber(r.Context(), row.DagID, n)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("The DagVersion with dag_id: `%s` and version_number: `%d` was not found", row.DagID, n)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toDagVersion(v))
	return nil
}

// orderByError turns a store's refusal of an order_by field into a 400
// naming the fields allowed, as Airflow answers.
func orderByError(err error) error {
	var oe *store.OrderByError
	if errors.As(err, &oe) {
		return badRequest("Ordering with '%s' is disallowed or the attribute does not exist on the model; use one of %s",
			oe.Field, strings.Join(oe.Allowed, ", "))
	}
	return err
}

// patchDags pauses or unpauses the page of DAGs the filters select.
func (s *Server) patchDags(w http.ResponseWriter, r *http.Request, c *call) error {
	q := newQuery(r, c.op)
	p := s.dagFilters(q)
	q.oneOf("update_mask", q.list("update_mask"), "is_paused")
	if err := q.err(); err != nil {
		return err
	}
	var body struct {
		IsPaused bool `json:"is_paused"`
	}
	if err := c.decode(&body); err != nil {
		return err
	}
	rows, total, err := s.st.DagQuery(r.Context(), p)
	if err != nil {
		return orderByError(err)
	}
	for _, row := range rows {
		if err := s.st.DagSetPaused(r.Context(), row.DagID, body.IsPaused); err != nil {
			return err
		}
		row.IsPaused = body.IsPaused
	}
	if !body.IsPaused && len(rows) > 0 && s.cfg.Wake != nil {
		s.cfg.Wake()
	}
	return s.writeDags(w, r, rows, total)
}
