// Upstream and downstream tasks, followed through every level, from each
// task's downstream_task_ids.

interface TaskLinks {
  task_id: string;
  downstream_task_ids: string[];
}

function walk(start: string, next: Map<string, string[]>): string[] {
  const seen = new Set<string>();
  const stack = [...(next.get(start) ?? [])];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) || id === start) continue;
    seen.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return [...seen].sort();
}

export function downstreamOf(tasks: TaskLinks[], taskId: string): string[] {
  return walk(taskId, new Map(tasks.map((task) => [task.task_id, task.downstream_task_ids])));
}

export function upstreamOf(tasks: TaskLinks[], taskId: string): string[] {
  const parents = new Map<string, string[]>();
  for (const task of tasks) {
    for (const child of task.downstream_task_ids) parents.set(child, [...(parents.get(child) ?? []), task.task_id]);
  }
  return walk(taskId, parents);
}
