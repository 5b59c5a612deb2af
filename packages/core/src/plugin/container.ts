/**
 * The dependency-injection container of dmm-router (tsyringe). tsyringe needs the
 * Reflect metadata polyfill before it loads; this module is the one place that loads it,
 * so importing `@dmm/core` is enough for every user.
 */
import 'reflect-metadata';
import {
  container as rootContainer,
  type DependencyContainer,
  type InjectionToken,
} from 'tsyringe';

export type { DependencyContainer, InjectionToken };

/** A typed token for a service shared between packages (`Symbol.for`, so copies agree). */
export function token<T>(key: string): InjectionToken<T> {
  return Symbol.for(key) as InjectionToken<T>;
}

/** A fresh container for one router: a child of tsyringe's root, which we never register on. */
export function createRouterContainer(): DependencyContainer {
  return rootContainer.createChildContainer();
}
