/**
 * Error codes of @dmm/tuntap. Every error is a `DmmError` from @dmm/core whose `details`
 * carry `errno`, `errnoName` and `syscall` when a system call failed, and `ifname` when a
 * device was involved.
 */

export const TuntapErrorCode = {
  /** EPERM/EACCES: CAP_NET_ADMIN (root) is needed. */
  Permission: 'DMM_ERR_TUNTAP_PERMISSION',
  /**
   * The name is taken: EBUSY (a single-queue device already open, or `exclusive`), a device
   * of another kind or multi-queue setting with that name (TUNSETIFF's EINVAL), or EEXIST
   * when moving into a namespace that has a device of that name.
   */
  NameInUse: 'DMM_ERR_TUNTAP_NAME_IN_USE',
  /**
   * The device or its namespace is no longer there: ENODEV, EBADFD, EIO, a missing network
   * namespace, or a call on a closed device (`details.closed === true`).
   */
  DeviceGone: 'DMM_ERR_TUNTAP_DEVICE_GONE',
  /** A bad name, MAC, MTU, offset, length, a missing slab, an unsupported option. */
  BadArgument: 'DMM_ERR_TUNTAP_BAD_ARGUMENT',
  /** Anything else; `details.errno` says what. */
  System: 'DMM_ERR_TUNTAP_SYSTEM',
} as const;

export type TuntapErrorCode = (typeof TuntapErrorCode)[keyof typeof TuntapErrorCode];
