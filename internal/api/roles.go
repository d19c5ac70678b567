package api

import "github.com/updraft-dev/updraft/internal/store"

// Permissions are resource:action, as each operation names in x-permission.
// The roles hold them as Airflow's roles of the same names do: Viewer reads
// what DAGs produce; User also runs and fixes DAGs (trigger, clear, mark,
// pause, delete runs); Op also manages what tasks use (variables,
// connections, pools, XCom) and reads the configuration; Admin also manages
// users.
var rolePermissions = func() map[string]map[string]bool {
	viewer := []string{
		"DAG:read", "DAG_RUN:read", "TASK_INSTANCE:read", "TASK_LOG:read", "XCOM:read", "IMPORT_ERROR:read", "JOB:read",
	}
	user := append(append([]string{}, viewer...),
		"DAG:edit", "DAG_RUN:create", "DAG_RUN:edit", "DAG_RUN:delete",
		"TASK_INSTANCE:edit", "TASK_INSTANCE:delete")
	op := append(append([]string{}, user...),
		"VARIABLE:read", "VARIABLE:create", "VARIABLE:edit", "VARIABLE:delete",
		"CONNECTION:read", "CONNECTION:create", "CONNECTION:edit", "CONNECTION:delete",
		"POOL:read", "POOL:create", "POOL:edit", "POOL:delete",
		"XCOM:create", "XCOM:edit", "XCOM:delete", "CONFIG:read")
	admin := append(append([]string{}, op...), "USER:read", "USER:create", "USER:edit", "USER:delete")
	set := func(perms []string) map[string]bool {
		m := map[string]bool{}
		for _, p := range perms {
			m[p] = true
		}
		return m
	}
	return map[string]map[string]bool{
		store.RoleViewer: set(viewer), store.RoleUser: set(user), store.RoleOp: set(op), store.RoleAdmin: set(admin),
	}
}()

// allowed reports whether a role holds a permission.
func allowed(role, permission string) bool {
	return permission == permPublic || permission == permAuthenticated || rolePermissions[role][permission]
}

const (
	// permPublic marks the operations anyone may call, logged in or not.
	permPublic = "public"
	// permAuthenticated marks the operations any signed-in user may call,
	// whatever the role.
	permAuthenticated = "authenticated"
	// permTask marks the operations a running try calls with its task
	// token; no user, whatever the role, may call them.
	permTask = "task"
)
