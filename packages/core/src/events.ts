/**
 * Control-plane events of a router (eventemitter3, typed). Names are `noun:verb`; payloads
 * are plain values. Never emitted per packet: packet facts go to counters.
 */
import type { InterfaceAddress } from './interface.js';
import type { Route } from './route/route-table.js';

export type RouterEvents = {
  'router:started': [];
  'router:stopping': [];
  'interface:added': [ifIndex: number, name: string];
  'interface:removed': [ifIndex: number, name: string];
  'interface:up': [ifIndex: number, up: boolean];
  'address:added': [ifIndex: number, address: InterfaceAddress];
  'address:removed': [ifIndex: number, address: InterfaceAddress];
  'route:added': [route: Route];
  'route:removed': [route: Route];
  'neighbor:changed': [id: number, ifIndex: number, state: number];
  'plugin:error': [plugin: string, phase: string, error: unknown];
};

export type RouterEventName = keyof RouterEvents;
