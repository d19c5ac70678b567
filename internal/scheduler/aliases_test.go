package scheduler

import "github.com/updraft-dev/updraft/internal/store"

type (
	storePool  = store.Pool
	storeClear = store.TaskInstanceClearParams
)
