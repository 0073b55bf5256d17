// A router of a few lines (use yours): the path as external state, and navigate() through history.

import { useSyncExternalStore } from "react";

const listeners = new Set();

function subscribe(listener) {
  listeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

/** Goes to `to` (a path with its query and fragment) without reloading. */
export function navigate(to, { replace = false } = {}) {
  history[replace ? "replaceState" : "pushState"](null, "", to);
  for (const listener of listeners) listener();
}

/** The current path; re-renders when it changes. */
export function usePath() {
  return useSyncExternalStore(subscribe, () => location.pathname, () => "/");
}
