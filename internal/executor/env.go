package executor

import (
	"strconv"
	"time"
)

// The variables every try sees, whatever runs it: updraft's own and
// Airflow's AIRFLOW_CTX_* ones, which scripts written for Airflow read.
const (
	EnvDagID     = "UPDRAFT_DAG_ID"
	EnvRunID     = "UPDRAFT_RUN_ID"
	EnvTaskID    = "UPDRAFT_TASK_ID"
	EnvTryNumber = "UPDRAFT_TRY_NUMBER"
	EnvMapIndex  = "UPDRAFT_MAP_INDEX"
	// EnvXComFile names the file a try writes its return value to.
	EnvXComFile = "UPDRAFT_XCOM_FILE"
	// EnvAPIURL and EnvTaskToken tell a try in a pod where updraft's API
	// is and give it the token that names the try there (set_xcom).
	EnvAPIURL    = "UPDRAFT_API_URL"
	EnvTaskToken = "UPDRAFT_TASK_TOKEN" //nolint:gosec // the name of a variable, not a credential

	envAirflowDagID       = "AIRFLOW_CTX_DAG_ID"
	envAirflowTaskID      = "AIRFLOW_CTX_TASK_ID"
	envAirflowDagRunID    = "AIRFLOW_CTX_DAG_RUN_ID"
	envAirflowTryNumber   = "AIRFLOW_CTX_TRY_NUMBER"
	envAirflowLogicalDate = "AIRFLOW_CTX_LOGICAL_DATE"
	envAirflowDagOwner    = "AIRFLOW_CTX_DAG_OWNER"
)

var identityVars = map[string]bool{
	EnvDagID: true, EnvRunID: true, EnvTaskID: true, EnvTryNumber: true, EnvMapIndex: true,
	EnvXComFile: true, EnvAPIURL: true, EnvTaskToken: true, envAirflowDagID: true, envAirflowTaskID: true, envAirflowDagRunID: true,
	envAirflowTryNumber: true, envAirflowLogicalDate: true, envAirflowDagOwner: true,
}

// IsIdentityVar reports whether a task's own env may not set name: the
// executor sets it.
func IsIdentityVar(name string) bool { return identityVars[name] }

// IdentityEnv is the identity part of a try's environment ("NAME=value"):
// first the five UPDRAFT_* variables of its key, then Airflow's.
func IdentityEnv(req *Request) []string {
	k := req.Key
	env := []string{
		EnvDagID + "=" + k.DagID,
		EnvRunID + "=" + k.RunID,
		EnvTaskID + "=" + k.TaskID,
		EnvTryNumber + "=" + strconv.Itoa(k.TryNumber),
		EnvMapIndex + "=" + strconv.Itoa(k.MapIndex),
		envAirflowDagID + "=" + k.DagID,
		envAirflowTaskID + "=" + k.TaskID,
		envAirflowDagRunID + "=" + k.RunID,
		envAirflowTryNumber + "=" + strconv.Itoa(k.TryNumber),
		envAirflowDagOwner + "=" + req.Owner,
	}
	if !req.LogicalDate.IsZero() {
		env = append(env, envAirflowLogicalDate+"="+req.LogicalDate.UTC().Format(time.RFC3339))
	}
	return env
}
