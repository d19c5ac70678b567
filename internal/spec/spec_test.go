package spec

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/updraft-dev/updraft/internal/dag"
)

// y joins lines into a YAML document, so that tests can count lines and
// columns by eye.
func y(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// wantErr is one expected error: its exact position and field, and a part of
// its message.
type wantErr struct {
	line, col int
	field     string
	msg       string
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []wantErr
	}{
		// The file as a whole.
		{"empty file", "", []wantErr{{1, 1, "", "empty file"}}},
		{"only comments", "# nothing here\n", []wantErr{{1, 1, "", "empty file"}}},
		{"null document", "~\n", []wantErr{{1, 1, "", "empty file"}}},
		{"top level list", y("- dag_id: a", "- dag_id: b"), []wantErr{{1, 1, "", "expected a mapping with dag_id and tasks at the top level, got a list"}}},
		{"top level scalar", y("hello"), []wantErr{{1, 1, "", `got string "hello"`}}},
		{"syntax error", y("dag_id: x", "tasks:", "  a: {command: [echo}"), []wantErr{{3, 0, "", "invalid YAML: did not find expected ',' or ']'"}}},
		{"tab indentation", y("dag_id: x", "tasks:", "\ta: {}"), []wantErr{{3, 0, "", "invalid YAML: found character that cannot start any token"}}},
		{"syntax error on the first line", y("dag_id: [x", "tasks: {}"), []wantErr{{2, 0, "", "invalid YAML: did not find expected ',' or ']'"}}},
		{"unclosed quote", y("dag_id: x", "tasks:", "  a: {command: 'echo}", "  b: {}"), []wantErr{{3, 0, "", "invalid YAML: found unexpected end of stream"}}},
		{"mapping in a scalar", y("dag_id: x", "description: a: b"), []wantErr{{2, 0, "", "invalid YAML: mapping values are not allowed in this context"}}},
		{"unknown anchor", y("dag_id: x", "tasks:", "  a: {env: *nope}"), []wantErr{{3, 12, "", "invalid YAML: unknown anchor 'nope' referenced"}}},
		{"two documents", y("dag_id: x", "---", "dag_id: y"), []wantErr{{2, 1, "", "a second YAML document"}}},
		{"alias inside its anchor", y("dag_id: x", "tasks: &t", "  a: {env: *t}"), []wantErr{{3, 12, "", "alias *t is inside the anchor it refers to"}}},

		// Keys.
		{"missing dag_id", y("tasks: {}"), []wantErr{{1, 1, "dag_id", "missing required field"}}},
		{"unknown top-level key", y("dag_id: x", "schedul: '@daily'"), []wantErr{{2, 1, "schedul", `unknown field (did you mean "schedule"?)`}}},
		{"unknown task key", y("dag_id: x", "tasks:", "  a:", "    retires: 1"), []wantErr{{4, 5, "tasks.a.retires", `did you mean "retries"?`}}},
		{"unknown key far from any", y("dag_id: x", "tasks:", "  a: {operator: bash}"), []wantErr{{3, 7, "tasks.a.operator", "unknown field"}}},
		{"depends_on in default_args", y("dag_id: x", "default_args:", "  depends_on: [a]"), []wantErr{{3, 3, "default_args.depends_on", "unknown field"}}},
		{"task-only key at top level", y("dag_id: x", "retries: 3"), []wantErr{{2, 1, "retries", "unknown field"}}},
		{"duplicate top-level key", y("dag_id: x", "dag_id: y"), []wantErr{{2, 1, "dag_id", "duplicate key, first defined at line 1"}}},
		{"duplicate task id", y("dag_id: x", "tasks:", "  a: {}", "  b: {}", "  a: {}"), []wantErr{{5, 3, "tasks.a", "duplicate key, first defined at line 3"}}},
		{"duplicate env name", y("dag_id: x", "tasks:", "  a:", "    env: {A: 1, A: 2}"), []wantErr{{4, 17, "tasks.a.env.A", "duplicate key"}}},
		{"non-string key", y("dag_id: x", "tasks:", "  ? [a, b]", "  : {}"), []wantErr{{3, 5, "tasks", "a key must be a string, got a list"}}},

		// Types.
		{"string for integer", y("dag_id: x", "tasks:", "  a: {retries: many}"), []wantErr{{3, 16, "tasks.a.retries", `expected an integer, got string "many"`}}},
		{"quoted integer", y("dag_id: x", "max_active_runs: '2'"), []wantErr{{2, 18, "max_active_runs", `expected an integer, got string "2"`}}},
		{"float for integer", y("dag_id: x", "tasks:", "  a: {pool_slots: 1.5}"), []wantErr{{3, 19, "tasks.a.pool_slots", "expected an integer, got number 1.5"}}},
		{"yes is not a boolean", y("dag_id: x", "catchup: yes"), []wantErr{{2, 10, "catchup", `expected true or false, got string "yes"`}}},
		{"mapping for list", y("dag_id: x", "tags: {a: b}"), []wantErr{{2, 7, "tags", "expected a list, got a mapping"}}},
		{"list for string", y("dag_id: x", "description: [a]"), []wantErr{{2, 14, "description", "expected a string, got a list"}}},
		{"number for string", y("dag_id: x", "owner: 42"), []wantErr{{2, 8, "owner", "expected a string, got integer 42"}}},
		{"list for task", y("dag_id: x", "tasks:", "  a: [echo]"), []wantErr{{3, 6, "tasks.a", "expected a mapping, got a list"}}},
		{"list for env", y("dag_id: x", "tasks:", "  a:", "    env: [A=1]"), []wantErr{{4, 10, "tasks.a.env", "expected a mapping, got a list"}}},
		{"env value not scalar", y("dag_id: x", "tasks:", "  a:", "    env: {A: [1]}"), []wantErr{{4, 14, "tasks.a.env.A", "expected a string, got a list"}}},
		{"mapping for command", y("dag_id: x", "tasks:", "  a: {command: {run: x}}"), []wantErr{{3, 16, "tasks.a.command", "expected a list of arguments or a shell command string, got a mapping"}}},
		{"argv item not scalar", y("dag_id: x", "tasks:", "  a: {command: [echo, [x]]}"), []wantErr{{3, 23, "tasks.a.command[1]", "expected a string, got a list"}}},
		{"empty argv", y("dag_id: x", "tasks:", "  a: {command: []}"), []wantErr{{3, 16, "tasks.a.command", "empty command"}}},
		{"empty shell command", y("dag_id: x", "tasks:", "  a: {command: ''}"), []wantErr{{3, 16, "tasks.a.command", "empty command"}}},
		{"mapping for depends_on", y("dag_id: x", "tasks:", "  a: {depends_on: {b: 1}}"), []wantErr{{3, 19, "tasks.a.depends_on", "expected a string or a list of strings"}}},
		{"list for resources", y("dag_id: x", "tasks:", "  a: {resources: [big]}"), []wantErr{{3, 18, "tasks.a.resources", "expected a resource profile name or a mapping"}}},
		{"unknown resources key", y("dag_id: x", "tasks:", "  a: {resources: {request: {cpu: 1}}}"), []wantErr{{3, 19, "tasks.a.resources.request", `did you mean "requests"?`}}},
		{"bad duration", y("dag_id: x", "dagrun_timeout: 1 hour"), []wantErr{{2, 17, "dagrun_timeout", `invalid duration "1 hour"`}}},
		{"negative duration", y("dag_id: x", "tasks:", "  a: {retry_delay: -30}"), []wantErr{{3, 20, "tasks.a.retry_delay", "duration -30 is negative"}}},
		{"float duration", y("dag_id: x", "tasks:", "  a: {execution_timeout: 1.5}"), []wantErr{{3, 26, "tasks.a.execution_timeout", "expected a duration"}}},
		{"bad date", y("dag_id: x", "start_date: yesterday"), []wantErr{{2, 13, "start_date", `invalid date "yesterday"`}}},
		{"bad month", y("dag_id: x", "start_date: 2026-13-01"), []wantErr{{2, 13, "start_date", "invalid date"}}},

		// Values.
		{"dag_id characters", y("dag_id: my dag"), []wantErr{{1, 9, "dag_id", "may only contain letters, digits, dashes, dots and underscores"}}},
		{"dag_id too long", y("dag_id: " + strings.Repeat("a", 251)), []wantErr{{1, 9, "dag_id", "id is 251 characters long, at most 250"}}},
		{"dag_id empty", y("dag_id: ''"), []wantErr{{1, 9, "dag_id", "must not be empty"}}},
		{"dag_id not a string", y("dag_id: [a]"), []wantErr{{1, 9, "dag_id", "expected a string, got a list"}}},
		{"dag_id null", y("dag_id:", "tasks: {}"), []wantErr{{1, 8, "dag_id", "must not be empty"}}},
		{"task id characters", y("dag_id: x", "tasks:", "  a$b: {}"), []wantErr{{3, 3, `tasks["a$b"]`, "may only contain"}}},
		{"task id empty", y("dag_id: x", "tasks:", "  '': {}"), []wantErr{{3, 3, `tasks[""]`, "must not be empty"}}},
		{"invalid cron", y("dag_id: x", `schedule: "61 * * * *"`), []wantErr{{2, 11, "schedule", `invalid cron expression "61 * * * *"`}}},
		{"invalid preset", y("dag_id: x", `schedule: "@sometimes"`), []wantErr{{2, 11, "schedule", `"@sometimes"`}}},
		{"unknown timezone", y("dag_id: x", "timezone: Mars/Olympus"), []wantErr{{2, 11, "timezone", `unknown timezone "Mars/Olympus"`}}},
		{"local timezone", y("dag_id: x", "timezone: Local"), []wantErr{{2, 11, "timezone", "depends on the machine"}}},
		{"end before start", y("dag_id: x", "start_date: 2026-02-01", "end_date: 2026-01-31"), []wantErr{{3, 11, "end_date", "end_date 2026-01-31T00:00:00Z is before start_date 2026-02-01T00:00:00Z"}}},
		{"end before start across zones", y("dag_id: x", "timezone: Asia/Tokyo", "start_date: 2026-01-01", "end_date: 2025-12-31T14:00:00Z"), []wantErr{{4, 11, "end_date", "end_date 2025-12-31T14:00:00Z is before start_date 2026-01-01T00:00:00+09:00"}}},
		{"max_active_runs zero", y("dag_id: x", "max_active_runs: 0"), []wantErr{{2, 18, "max_active_runs", "must be at least 1, got 0"}}},
		{"empty tag", y("dag_id: x", "tags: [ml, '']"), []wantErr{{2, 12, "tags[1]", "empty tag"}}},
		{"invalid trigger rule", y("dag_id: x", "tasks:", "  a: {trigger_rule: maybe}"), []wantErr{{3, 21, "tasks.a.trigger_rule", `unknown trigger rule "maybe"; use one of "all_success", "all_failed", "all_done"`}}},
		{"invalid default trigger rule", y("dag_id: x", "default_args:", "  trigger_rule: All_Done", "tasks: {a: {}, b: {}}"), []wantErr{{3, 17, "default_args.trigger_rule", "unknown trigger rule"}}},
		{"negative retries", y("dag_id: x", "tasks:", "  a: {retries: -1}"), []wantErr{{3, 16, "tasks.a.retries", "must not be negative, got -1"}}},
		{"negative default retries", y("dag_id: x", "default_args:", "  retries: -2"), []wantErr{{3, 12, "default_args.retries", "must not be negative, got -2"}}},
		{"pool_slots zero", y("dag_id: x", "tasks:", "  a: {pool_slots: 0}"), []wantErr{{3, 19, "tasks.a.pool_slots", "must be at least 1"}}},
		{"unknown executor", y("dag_id: x", "tasks:", "  a: {executor: celery}"), []wantErr{{3, 17, "tasks.a.executor", `unknown executor "celery"; use one of "local", "kubernetes"`}}},
		{"unknown pull policy", y("dag_id: x", "tasks:", "  a: {image_pull_policy: always}"), []wantErr{{3, 26, "tasks.a.image_pull_policy", `use one of "Always", "IfNotPresent", "Never"`}}},
		{"env_from with both", y("dag_id: x", "tasks:", "  a: {env_from: [{secret: s, config_map: c}]}"), []wantErr{{3, 18, "tasks.a.env_from[0]", "exactly one of secret or config_map"}}},
		{"env name with =", y("dag_id: x", "tasks:", "  a: {env: {'A=B': x}}"), []wantErr{{3, 13, `tasks.a.env["A=B"]`, "invalid environment variable name"}}},
		{"env setting a try's identity", y("dag_id: x", "default_args:", "  env: {UPDRAFT_TRY_NUMBER: '9'}"), []wantErr{{3, 9, "default_args.env.UPDRAFT_TRY_NUMBER", "UPDRAFT_TRY_NUMBER is set by updraft for each try; a task may not set it"}}},
		{"secret as the task token", y("dag_id: x", "tasks:", "  a:", "    secrets: [{secret: s, key: k, env: UPDRAFT_TASK_TOKEN}]"), []wantErr{{4, 40, "tasks.a.secrets[0].env", "UPDRAFT_TASK_TOKEN is set by updraft for each try"}}},

		// The pod: the Kubernetes objects, written as in a manifest.
		{"unknown toleration key", y("dag_id: x", "tasks:", "  a:", "    tolerations: [{key: gpu, operater: Exists}]"), []wantErr{{4, 30, "tasks.a.tolerations[0].operater", `unknown field (did you mean "operator"?)`}}},
		{"unknown affinity key", y("dag_id: x", "tasks:", "  a:", "    affinity: {nodeAfinity: {}}"), []wantErr{{4, 16, "tasks.a.affinity.nodeAfinity", `unknown field (did you mean "nodeAffinity"?)`}}},
		{"unknown key deep in a volume", y("dag_id: x", "tasks:", "  a:", "    volumes:", "      - name: data", "        emptyDir: {sizeLimt: 1Gi}"), []wantErr{{6, 20, "tasks.a.volumes[0].emptyDir.sizeLimt", `unknown field (did you mean "sizeLimit"?)`}}},
		{"native keys are case-sensitive", y("dag_id: x", "tasks:", "  a: {volume_mounts: [{Name: a, mountPath: /a}]}"), []wantErr{{3, 24, "tasks.a.volume_mounts[0].Name", `unknown field (did you mean "name"?)`}}},
		{"unknown pod_override spec key", y("dag_id: x", "tasks:", "  a: {pod_override: {spec: {nodeSelecter: {a: b}}}}"), []wantErr{{3, 29, "tasks.a.pod_override.spec.nodeSelecter", `unknown field (did you mean "nodeSelector"?)`}}},
		{"duplicate key in a native object", y("dag_id: x", "tasks:", "  a: {tolerations: [{key: a, key: b}]}"), []wantErr{{3, 30, "tasks.a.tolerations[0].key", "duplicate key, first defined at line 3"}}},
		{"quoted integer in a native object", y("dag_id: x", "tasks:", "  a:", `    security_context: {runAsUser: "1000"}`), []wantErr{{4, 35, "tasks.a.security_context.runAsUser", `expected an integer, got string "1000"`}}},
		{"mapping for a native list", y("dag_id: x", "tasks:", "  a: {tolerations: {key: gpu}}"), []wantErr{{3, 20, "tasks.a.tolerations", "expected a list, got a mapping"}}},
		{"bad quantity in a container", y("dag_id: x", "tasks:", "  a:", "    init_containers: [{name: i, image: busybox, resources: {limits: {memory: 2 GB}}}]"), []wantErr{{4, 78, "tasks.a.init_containers[0].resources.limits.memory", `expected a quantity like 500m or 1Gi, got string "2 GB"`}}},
		{"bad quantity", y("dag_id: x", "tasks:", "  a: {resources: {requests: {cpu: lots}}}"), []wantErr{{3, 35, "tasks.a.resources.requests.cpu", `invalid quantity "lots"; use a number with an optional suffix, like 500m, 2 or 1Gi`}}},
		{"quantity too large to compare", y("dag_id: x", "tasks:", "  a: {resources: {requests: {cpu: 1e99999999}, limits: {cpu: 1}}}"), []wantErr{{3, 35, "tasks.a.resources.requests.cpu", `quantity "1e99999999" is out of range`}}},
		{"quantity too small to parse", y("dag_id: x", "tasks:", "  a: {volumes: [{name: v, emptyDir: {sizeLimit: '1e-99999999'}}]}"), []wantErr{{3, 49, "tasks.a.volumes[0].emptyDir.sizeLimit", "quantity 1e-99999999 is out of range"}}},
		{"request above limit", y("dag_id: x", "tasks:", "  a: {resources: {requests: {cpu: 2}, limits: {cpu: 1}}}"), []wantErr{{3, 35, "tasks.a.resources.requests.cpu", "request 2 is above the limit 1"}}},
		{"resource without a domain", y("dag_id: x", "tasks:", "  a: {resources: {limits: {gpu: 1}}}"), []wantErr{{3, 28, "tasks.a.resources.limits.gpu", `unknown resource "gpu"; use cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource with a domain, like nvidia.com/gpu`}}},
		{"bad label value", y("dag_id: x", "tasks:", "  a: {labels: {team: ml team}}"), []wantErr{{3, 22, "tasks.a.labels.team", `invalid label value "ml team": a valid label must be an empty string or consist of alphanumeric characters`}}},
		{"bad node selector key", y("dag_id: x", "default_args:", "  node_selector: {-arch: amd64}"), []wantErr{{3, 19, "default_args.node_selector.-arch", `invalid label key "-arch"`}}},
		{"bad annotation key", y("dag_id: x", "tasks:", "  a: {annotations: {'a b': x}}"), []wantErr{{3, 21, `tasks.a.annotations["a b"]`, `invalid annotation key "a b"`}}},
		{"bad namespace", y("dag_id: x", "tasks:", "  a: {namespace: ML}"), []wantErr{{3, 18, "tasks.a.namespace", `invalid namespace "ML": a lowercase RFC 1123 label`}}},
		{"bad image pull secret", y("dag_id: x", "tasks:", "  a: {image_pull_secrets: [ok, Not_OK]}"), []wantErr{{3, 32, "tasks.a.image_pull_secrets[1]", `invalid Secret name "Not_OK"`}}},
		{"undeclared volume", y("dag_id: x", "tasks:", "  a:", "    volumes: [{name: data, emptyDir: {}}]", "    volume_mounts: [{name: dta, mountPath: /data}]"), []wantErr{{5, 28, "tasks.a.volume_mounts[0].name", `unknown volume "dta"; use one of "data"`}}},
		{"default mount of a replaced volume", y("dag_id: x", "default_args:", "  volumes: [{name: data, emptyDir: {}}]", "  volume_mounts: [{name: data, mountPath: /data}]", "tasks:", "  a: {volumes: [{name: cache, emptyDir: {}}]}", "  b: {}"), []wantErr{{4, 26, "default_args.volume_mounts[0].name", `unknown volume "data" in task "a"; use one of "cache"`}}},
		{"mount of a secret used as a variable", y("dag_id: x", "tasks:", "  a:", "    secrets: [{secret: db, key: password, env: DB_PASSWORD}]", "    volume_mounts: [{name: secret-db, mountPath: /db}]"), []wantErr{{5, 28, "tasks.a.volume_mounts[0].name", `unknown volume "secret-db"; declare it in volumes`}}},
		{"volume named as a secret's", y("dag_id: x", "tasks:", "  a:", "    secrets: [{secret: tls, mount: /tls}]", "    volumes: [{name: secret-tls, emptyDir: {}}]"), []wantErr{{5, 22, "tasks.a.volumes[0].name", `volume name "secret-tls" is taken by the volume secrets create for Secret "tls"`}}},
		{"duplicate volume", y("dag_id: x", "tasks:", "  a:", "    volumes:", "      - {name: data, emptyDir: {}}", "      - {name: data, emptyDir: {}}"), []wantErr{{6, 16, "tasks.a.volumes[1].name", `volume "data" is declared twice, first at line 5`}}},
		{"volume without a source", y("dag_id: x", "tasks:", "  a: {volumes: [{name: data}]}"), []wantErr{{3, 17, "tasks.a.volumes[0]", "missing a volume source, like emptyDir"}}},
		{"volume with two sources", y("dag_id: x", "tasks:", "  a: {volumes: [{name: data, emptyDir: {}, secret: {secretName: s}}]}"), []wantErr{{3, 17, "tasks.a.volumes[0]", "expected one volume source, got emptyDir, secret"}}},
		{"bad volume name", y("dag_id: x", "tasks:", "  a: {volumes: [{name: my_data, emptyDir: {}}]}"), []wantErr{{3, 24, "tasks.a.volumes[0].name", `invalid volume name "my_data"`}}},
		{"secrets entry with env and mount", y("dag_id: x", "tasks:", "  a:", "    secrets: [{secret: db, key: k, env: K, mount: /db}]"), []wantErr{{4, 15, "tasks.a.secrets[0]", "expected exactly one of env or mount"}}},
		{"secrets env without key", y("dag_id: x", "tasks:", "  a:", "    secrets: [{secret: db, env: K}]"), []wantErr{{4, 15, "tasks.a.secrets[0].key", "missing required field: env takes the value of one key"}}},
		{"secrets entry without secret", y("dag_id: x", "tasks:", "  a:", "    secrets: [{key: k, env: K}]"), []wantErr{{4, 15, "tasks.a.secrets[0].secret", "missing required field"}}},
		{"secret mounted twice", y("dag_id: x", "tasks:", "  a:", "    secrets:", "      - {secret: tls, mount: /a}", "      - {secret: tls, key: ca.crt, mount: /b}"), []wantErr{{6, 18, "tasks.a.secrets[1].secret", `Secret "tls" is mounted by secrets[0] already`}}},
		{"relative secret mount", y("dag_id: x", "tasks:", "  a: {secrets: [{secret: tls, mount: certs}]}"), []wantErr{{3, 38, "tasks.a.secrets[0].mount", `expected an absolute path, got "certs"`}}},
		{"unknown on_finish_action", y("dag_id: x", "tasks:", "  a: {on_finish_action: delete}"), []wantErr{{3, 25, "tasks.a.on_finish_action", `unknown action "delete"; use one of "delete_pod", "delete_succeeded_pod", "keep_pod"`}}},
		{"zero active_deadline", y("dag_id: x", "tasks:", "  a: {active_deadline: 0}"), []wantErr{{3, 24, "tasks.a.active_deadline", "must be positive, got 0s"}}},
		{"fractional active_deadline", y("dag_id: x", "tasks:", "  a: {active_deadline: 90.5s}"), []wantErr{{3, 24, "tasks.a.active_deadline", "must be a whole number of seconds, got 1m30.5s"}}},
		{"zero startup_timeout", y("dag_id: x", "tasks:", "  a: {startup_timeout: 0s}"), []wantErr{{3, 24, "tasks.a.startup_timeout", "must be positive, got 0s"}}},
		{"negative startup_timeout", y("dag_id: x", "default_args:", "  startup_timeout: -5m"), []wantErr{{3, 20, "default_args.startup_timeout", "duration -5m is negative"}}},
		{"toleration operator", y("dag_id: x", "tasks:", "  a: {tolerations: [{key: k, operator: Equals}]}"), []wantErr{{3, 40, "tasks.a.tolerations[0].operator", `unknown operator "Equals"; use one of "Exists", "Equal"`}}},
		{"toleration effect", y("dag_id: x", "tasks:", "  a: {tolerations: [{operator: Exists, effect: NoRun}]}"), []wantErr{{3, 48, "tasks.a.tolerations[0].effect", `unknown effect "NoRun"; use one of "NoSchedule", "PreferNoSchedule", "NoExecute"`}}},
		{"toleration without key", y("dag_id: x", "tasks:", "  a: {tolerations: [{effect: NoSchedule}]}"), []wantErr{{3, 21, "tasks.a.tolerations[0].operator", "operator Equal needs a key"}}},
		{"node affinity operator", y("dag_id: x", "tasks:", "  a:", "    affinity:", "      nodeAffinity:", "        requiredDuringSchedulingIgnoredDuringExecution:", "          nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: Within, values: [a]}]}]"), []wantErr{{7, 73, "tasks.a.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator", `unknown operator "Within"`}}},
		{"affinity weight", y("dag_id: x", "tasks:", "  a:", "    affinity:", "      podAntiAffinity:", "        preferredDuringSchedulingIgnoredDuringExecution:", "          - weight: 500", "            podAffinityTerm: {topologyKey: kubernetes.io/hostname}"), []wantErr{{7, 21, "tasks.a.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", "must be between 1 and 100, got 500"}}},
		{"node selector Exists with values", y("dag_id: x", "tasks:", "  a:", "    affinity:", "      nodeAffinity:", "        requiredDuringSchedulingIgnoredDuringExecution:", "          nodeSelectorTerms: [{matchExpressions: [{key: gpu, operator: Exists, values: [a]}]}]"), []wantErr{{7, 88, "tasks.a.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values", "operator Exists takes no values"}}},
		{"node selector Gt on a word", y("dag_id: x", "tasks:", "  a:", "    affinity:", "      nodeAffinity:", "        requiredDuringSchedulingIgnoredDuringExecution:", "          nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: Gt, values: [big]}]}]"), []wantErr{{7, 90, "tasks.a.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]", `operator Gt compares integers, got "big"`}}},
		{"label selector NotIn without values", y("dag_id: x", "tasks:", "  a:", "    affinity:", "      podAffinity:", "        requiredDuringSchedulingIgnoredDuringExecution:", "          - {topologyKey: zone, labelSelector: {matchExpressions: [{key: app, operator: NotIn}]}}"), []wantErr{{7, 68, "tasks.a.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values", "operator NotIn needs values"}}},
		{"label selector Gt", y("dag_id: x", "tasks:", "  a:", "    affinity:", "      podAffinity:", "        requiredDuringSchedulingIgnoredDuringExecution:", "          - {topologyKey: zone, labelSelector: {matchExpressions: [{key: app, operator: Gt, values: ['1']}]}}"), []wantErr{{7, 89, "tasks.a.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator", `unknown operator "Gt"; use one of "In", "NotIn", "Exists", "DoesNotExist"`}}},
		{"pod affinity without topologyKey", y("dag_id: x", "tasks:", "  a: {affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: db}}}]}}}"), []wantErr{{3, 81, "tasks.a.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey", "missing required field"}}},
		{"init container without image", y("dag_id: x", "tasks:", "  a: {init_containers: [{name: init}]}"), []wantErr{{3, 25, "tasks.a.init_containers[0].image", "missing required field"}}},
		{"init container named base", y("dag_id: x", "tasks:", "  a: {init_containers: [{name: base, image: busybox}]}"), []wantErr{{3, 32, "tasks.a.init_containers[0].name", `"base" is the name of the task's container`}}},
		{"pod_override sets the pod's name", y("dag_id: x", "tasks:", "  a:", "    pod_override: {metadata: {name: mypod}}"), []wantErr{{4, 31, "tasks.a.pod_override.metadata.name", "not used: pod_override sets the labels and annotations of metadata only"}}},
		{"pod_override sets status", y("dag_id: x", "tasks:", "  a: {pod_override: {status: {phase: Running}}}"), []wantErr{{3, 22, "tasks.a.pod_override.status", "not used: pod_override sets metadata and spec only"}}},
		{"pod_override container without name", y("dag_id: x", "tasks:", "  a: {pod_override: {spec: {containers: [{image: x}]}}}"), []wantErr{{3, 42, "tasks.a.pod_override.spec.containers[0].name", "missing required field"}}},
		{"pod_override sidecar without image", y("dag_id: x", "tasks:", "  a: {pod_override: {spec: {containers: [{name: sidecar}]}}}"), []wantErr{{3, 42, "tasks.a.pod_override.spec.containers[0].image", `missing required field: a container other than "base" is added to the pod`}}},

		// The graph.
		{"unknown upstream", y("dag_id: x", "tasks:", "  a: {depends_on: [b, c]}", "  b: {}"), []wantErr{{3, 23, "tasks.a.depends_on[1]", `unknown task "c"`}}},
		{"unknown upstream as a string", y("dag_id: x", "tasks:", "  a:", "    depends_on: nope"), []wantErr{{4, 17, "tasks.a.depends_on[0]", `unknown task "nope"`}}},
		{"self dependency", y("dag_id: x", "tasks:", "  a: {depends_on: a}"), []wantErr{{3, 19, "tasks.a.depends_on[0]", `task "a" depends on itself`}}},
		{"upstream listed twice", y("dag_id: x", "tasks:", "  a: {}", "  b: {depends_on: [a, a]}"), []wantErr{{4, 23, "tasks.b.depends_on[1]", `task "a" is listed twice`}}},
		{"two-task cycle", y("dag_id: x", "tasks:", "  a: {depends_on: b}", "  b: {depends_on: a}"), []wantErr{{4, 3, "tasks.b", "cycle in task dependencies: b -> a -> b"}}},
		{"three-task cycle", y("dag_id: x", "tasks:", "  a: {depends_on: c}", "  b: {depends_on: a}", "  c: {depends_on: b}", "  d: {depends_on: c}"), []wantErr{{4, 3, "tasks.b", "cycle in task dependencies: b -> c -> a -> b"}}},

		// Params.
		{"param default of the wrong type", y("dag_id: x", "params:", "  n: {default: abc, type: integer}"), []wantErr{{3, 16, "params.n.default", "is not of type integer"}}},
		{"param default not in enum", y("dag_id: x", "params:", "  m: {default: c, enum: [a, b]}"), []wantErr{{3, 16, "params.m.default", "c is not one of [a b]"}}},
		{"param default below minimum", y("dag_id: x", "params:", "  n: {default: 0, minimum: 1}"), []wantErr{{3, 16, "params.n.default", "0 is less than the minimum 1"}}},
		{"param default above maximum", y("dag_id: x", "params:", "  n: {default: 9, maximum: 5}"), []wantErr{{3, 16, "params.n.default", "9 is greater than the maximum 5"}}},
		{"param unknown type", y("dag_id: x", "params:", "  n: {type: int}"), []wantErr{{3, 13, "params.n.type", `unknown type "int"`}}},
		{"param bounds on a string", y("dag_id: x", "params:", "  n: {type: string, maximum: 3}"), []wantErr{{3, 30, "params.n.maximum", "apply to numbers only"}}},
		{"param mapping is the long form", y("dag_id: x", "params:", "  n: {a: 1}"), []wantErr{{3, 7, "params.n.a", "unknown field"}}},
		{"param infinite", y("dag_id: x", "params:", "  n: .inf"), []wantErr{{3, 6, "params.n", "expected a finite number"}}},

		// Everything at once, sorted by position though found in another order.
		{"all errors sorted", y("dag_id: x", "tasks:", "  b: {retries: -1}", "  a: {depends_on: zz, pool: [p]}", "timezone: Nowhere"), []wantErr{
			{3, 16, "tasks.b.retries", "must not be negative"},
			{4, 19, "tasks.a.depends_on[0]", `unknown task "zz"`},
			{4, 29, "tasks.a.pool", "expected a string"},
			{5, 11, "timezone", "unknown timezone"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := Parse("dag.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("Parse succeeded with DAG %q; want %d errors", g.ID, len(tt.want))
			}
			checkErrors(t, err, "dag.yaml", tt.want)
		})
	}
}

// checkErrors checks that err is an ErrorList holding the errors wanted, in
// order, all in file.
func checkErrors(t *testing.T, err error, file string, want []wantErr) {
	t.Helper()
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want ErrorList: %v", err, err)
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		e := list[i]
		if e.File != file || e.Line != w.line || e.Column != w.col || e.Field != w.field || !strings.Contains(e.Msg, w.msg) {
			t.Errorf("error %d = %q\nwant %s:%d:%d: %s: ...%s...", i, e.Error(), file, w.line, w.col, w.field, w.msg)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  Error
		want string
	}{
		{Error{File: "a.yaml", Line: 3, Column: 5, Field: "tasks.a.retries", Msg: "bad"}, "a.yaml:3:5: tasks.a.retries: bad"},
		{Error{File: "a.yaml", Line: 3, Column: 5, Msg: "bad"}, "a.yaml:3:5: bad"},
		{Error{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	list := ErrorList{&tests[0].err, &tests[1].err}
	if got, want := list.Error(), "a.yaml:3:5: tasks.a.retries: bad\na.yaml:3:5: bad"; got != want {
		t.Errorf("ErrorList.Error() = %q, want %q", got, want)
	}
}

// TestParseCycleCause checks that callers can match the model's error
// through the list.
func TestParseCycleCause(t *testing.T) {
	t.Parallel()
	_, err := Parse("dag.yaml", []byte(y("dag_id: x", "tasks:", "  a: {depends_on: b}", "  b: {depends_on: a}")))
	var cycle *dag.CycleError
	if !errors.As(err, &cycle) {
		t.Fatalf("errors.As(*dag.CycleError) failed on %v", err)
	}
	if got := strings.Join(cycle.Cycle, " "); got != "b a b" {
		t.Errorf("cycle = %q, want %q", got, "b a b")
	}
}

func TestParseModel(t *testing.T) {
	t.Parallel()
	src := y(
		"dag_id: m",
		"schedule: '@daily'",
		"timezone: Asia/Tokyo",
		"start_date: 2026-01-01",
		"end_date: 2026-01-01T00:00:00Z",
		"default_args:",
		"  owner: team",
		"  retries: 2",
		"  retry_delay: 90",
		"  env: {Z: 1, A: true}",
		"  depends_on_past: true",
		"tasks:",
		"  a:",
		"    command: echo hi",
		"    retries: 0",
		"    depends_on_past: false",
		"  b:",
		"    depends_on: a",
		"    command: [run, 3, 1.50]",
		"    env: {ONLY: me}",
		"    owner: bob",
		"  c:",
	)
	g, err := Parse("m.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if want := time.Date(2026, 1, 1, 0, 0, 0, 0, tokyo); !g.StartDate.Equal(want) {
		t.Errorf("StartDate = %v, want midnight in Tokyo %v", g.StartDate, want)
	}
	if want := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); !g.EndDate.Equal(want) {
		t.Errorf("EndDate = %v, want %v (an offset wins over the timezone)", g.EndDate, want)
	}
	if g.Owner != "team" || g.MaxActiveRuns != dag.DefaultMaxActiveRuns || g.MaxActiveTasks != dag.DefaultMaxActiveTasks || g.Catchup {
		t.Errorf("DAG defaults: owner %q, max_active_runs %d, max_active_tasks %d, catchup %v",
			g.Owner, g.MaxActiveRuns, g.MaxActiveTasks, g.Catchup)
	}
	if g.Schedule.Expr != "@daily" || g.FileLoc != "m.yaml" {
		t.Errorf("Schedule.Expr = %q, FileLoc = %q", g.Schedule.Expr, g.FileLoc)
	}

	a, b, c := g.Task("a"), g.Task("b"), g.Task("c")
	if a == nil || b == nil || c == nil {
		t.Fatalf("tasks a, b, c not all found in %v", g.Graph().Order())
	}
	// A task's own zero values win over default_args.
	if a.Retries != 0 || a.DependsOnPast || a.Command.Shell != "echo hi" || a.Owner != "team" {
		t.Errorf("a = retries %d, depends_on_past %v, shell %q, owner %q", a.Retries, a.DependsOnPast, a.Command.Shell, a.Owner)
	}
	if a.RetryDelay != 90*time.Second {
		t.Errorf("a.RetryDelay = %v, want 90s from default_args", a.RetryDelay)
	}
	if got := envString(a.Env); got != "Z=1 A=true" {
		t.Errorf("a.Env = %s, want the default env in file order", got)
	}
	// A task's map replaces the default whole.
	if got := envString(b.Env); got != "ONLY=me" {
		t.Errorf("b.Env = %s", got)
	}
	if got := strings.Join(b.Command.Argv, " "); got != "run 3 1.50" || b.Owner != "bob" || b.Retries != 2 {
		t.Errorf("b = argv %q, owner %q, retries %d", got, b.Owner, b.Retries)
	}
	if len(b.Upstream) != 1 || b.Upstream[0] != "a" {
		t.Errorf("b.Upstream = %v", b.Upstream)
	}
	// A null task is an empty one, with Airflow's defaults.
	if !c.Empty() || c.TriggerRule != dag.AllSuccess || c.Pool != dag.DefaultPool || c.PoolSlots != 1 || c.PriorityWeight != 1 {
		t.Errorf("c = empty %v, rule %q, pool %q, slots %d, weight %d", c.Empty(), c.TriggerRule, c.Pool, c.PoolSlots, c.PriorityWeight)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	g, err := Parse("d.yaml", []byte(y("dag_id: d", "tasks:", "  a: {}")))
	if err != nil {
		t.Fatal(err)
	}
	if g.Timezone != time.UTC || g.Schedule.Kind != dag.ScheduleNone || g.StartDate != nil || g.Params != nil {
		t.Errorf("DAG = timezone %v, schedule %q, start %v, params %v", g.Timezone, g.Schedule.Kind, g.StartDate, g.Params)
	}
	a := g.Task("a")
	if a.RetryDelay != defaultRetryDelay || a.Retries != 0 || a.ExecutionTimeout != 0 || a.Executor != "" {
		t.Errorf("a = retry_delay %v, retries %d, timeout %v, executor %q", a.RetryDelay, a.Retries, a.ExecutionTimeout, a.Executor)
	}
}

func TestParseMergeKeys(t *testing.T) {
	t.Parallel()
	src := y(
		"dag_id: x",
		"x-base: &base {retries: 4, pool: p, owner: o}",
		"x-more: &more {pool: q, priority_weight: 7}",
		"tasks:",
		"  a:",
		"    <<: [*base, *more]",
		"    owner: mine",
	)
	g, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	a := g.Task("a")
	// The task's own key wins, then the first merged mapping.
	if a.Retries != 4 || a.Pool != "p" || a.PriorityWeight != 7 || a.Owner != "mine" {
		t.Errorf("a = retries %d, pool %q, weight %d, owner %q", a.Retries, a.Pool, a.PriorityWeight, a.Owner)
	}
}

func TestParseEqualDates(t *testing.T) {
	t.Parallel()
	if _, err := Parse("x.yaml", []byte(y("dag_id: x", "start_date: 2026-01-01", "end_date: 2026-01-01"))); err != nil {
		t.Errorf("a one-day DAG: %v", err)
	}
}

func envString(env []dag.EnvVar) string {
	parts := make([]string, len(env))
	for i, e := range env {
		parts[i] = e.Name + "=" + e.Value
	}
	return strings.Join(parts, " ")
}

func TestParsePod(t *testing.T) {
	t.Parallel()
	src := y(
		"dag_id: p",
		"default_args:",
		"  image_pull_secrets: [creds]",
		"  secrets: [{secret: db, key: password, env: DB_PASSWORD}, {secret: tls, mount: /tls}]",
		"  priority_class_name: low",
		"  active_deadline: 1h",
		"  startup_timeout: 90",
		"  on_finish_action: keep_pod",
		"  volumes: [{name: data, emptyDir: {sizeLimit: 1Gi}}]",
		"  volume_mounts: [{name: data, mountPath: /data}]",
		"  tolerations: [{key: gpu, operator: Exists}]",
		"  affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {}}]}}",
		"  security_context: {runAsUser: 1000}",
		"  container_security_context: {privileged: false}",
		"  pod_override: {spec: {containers: [{name: base, ports: [{containerPort: 80}]}]}}",
		"tasks:",
		"  inherits: {}",
		"  overrides:",
		"    tolerations: [{key: spot, operator: Equal, value: 'true', effect: NoSchedule}]",
		"    volume_mounts: []",
		"    on_finish_action: delete_pod",
	)
	g, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	in, over := g.Task("inherits").Pod, g.Task("overrides").Pod
	if in.PriorityClassName != "low" || in.ActiveDeadline != time.Hour || in.StartupTimeout != 90*time.Second ||
		in.OnFinishAction != "keep_pod" || strings.Join(in.ImagePullSecrets, ",") != "creds" {
		t.Errorf("inherited scalars = %q %v %v %q %v", in.PriorityClassName, in.ActiveDeadline, in.StartupTimeout, in.OnFinishAction, in.ImagePullSecrets)
	}
	if want := []dag.SecretRef{{Secret: "db", Key: "password", Env: "DB_PASSWORD"}, {Secret: "tls", Mount: "/tls"}}; !slices.Equal(in.Secrets, want) {
		t.Errorf("Secrets = %+v, want %+v", in.Secrets, want)
	}
	// The objects are stored as their API types encode them.
	for _, c := range []struct {
		field string
		got   json.RawMessage
		want  string
	}{
		{"Volumes", in.Volumes, `[{"name":"data","emptyDir":{"sizeLimit":"1Gi"}}]`},
		{"VolumeMounts", in.VolumeMounts, `[{"name":"data","mountPath":"/data"}]`},
		{"Tolerations", in.Tolerations, `[{"key":"gpu","operator":"Exists"}]`},
		{"Affinity", in.Affinity, `{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{}}]}}`},
		{"SecurityContext", in.SecurityContext, `{"runAsUser":1000}`},
		{"ContainerSecurityContext", in.ContainerSecurityContext, `{"privileged":false}`},
		// A patch is kept as written: re-encoded, it would carry nulls.
		{"PodOverride", in.PodOverride, `{"spec":{"containers":[{"name":"base","ports":[{"containerPort":80}]}]}}`},
	} {
		if string(c.got) != c.want {
			t.Errorf("%s = %s, want %s", c.field, c.got, c.want)
		}
	}
	// A task's value replaces the default whole; an empty list clears it.
	if got := string(over.Tolerations); got != `[{"key":"spot","operator":"Equal","value":"true","effect":"NoSchedule"}]` {
		t.Errorf("overrides.Tolerations = %s", got)
	}
	if over.VolumeMounts != nil || over.OnFinishAction != "delete_pod" || string(over.Volumes) != string(in.Volumes) {
		t.Errorf("overrides = mounts %s, action %q, volumes %s", over.VolumeMounts, over.OnFinishAction, over.Volumes)
	}
	// Tasks sharing a default do not share its storage.
	over.Volumes[0] = 'X'
	over.ImagePullSecrets[0] = "changed"
	if in.Volumes[0] != '[' || in.ImagePullSecrets[0] != "creds" {
		t.Errorf("tasks share the default's storage")
	}
}

func TestParsePodNone(t *testing.T) {
	t.Parallel()
	g, err := Parse("p.yaml", []byte(y("dag_id: p", "tasks:", "  a: {tolerations: null, pod_override: {}}")))
	if err != nil {
		t.Fatal(err)
	}
	if p := g.Task("a").Pod; !reflect.DeepEqual(p, dag.Pod{}) {
		t.Errorf("Pod = %+v, want none", p)
	}
}

// A pod task naming a resource profile the Kubernetes executor lacks is an
// error where the name is written; local tasks, and parsing without the
// deployment's options, do not care.
func TestParseResourceProfiles(t *testing.T) {
	t.Parallel()
	src := y(
		"dag_id: train",
		"default_args:",
		"  resources: huge",
		"tasks:",
		"  fit: {command: [fit]}",
		"  tune: {command: [tune], resources: giant}",
		"  local: {command: [echo], executor: local, resources: giant}",
		"  small: {command: [echo], resources: small}",
	)
	if _, err := Parse("train.yaml", []byte(src)); err != nil {
		t.Fatalf("without options: %v", err)
	}
	opts := Options{ResourceProfiles: []string{"small"}, DefaultExecutor: "kubernetes"}
	_, err := ParseWith("train.yaml", []byte(src), opts)
	checkErrors(t, err, "train.yaml", []wantErr{
		{3, 14, "default_args.resources", `unknown resource profile "huge" for the Kubernetes executor (kubernetes_resource_profiles: it has small)`},
		{6, 38, "tasks.tune.resources", `unknown resource profile "giant"`},
	})
	// With local the default, no task here runs as a pod.
	opts.DefaultExecutor = "local"
	if _, err := ParseWith("train.yaml", []byte(src), opts); err != nil {
		t.Errorf("default executor local: %v", err)
	}
}
