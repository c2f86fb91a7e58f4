import { describe, expect, it } from 'vitest';
import { demangleRust } from './rustDemangle.js';

describe('demangleRust', () => {
  it('reads v0 names with impl paths and backreferences', () => {
    // As rustc 1.96 names std's mutex lock in a NuttX build (seen in a --abi-check finding).
    expect(
      demangleRust('_RNvMNtNtNtNtNtCsfVMdVLbXUrp_3std3sys3pal4unix4sync5mutexNtB2_5Mutex4lock'),
    ).toBe('<std::sys::pal::unix::sync::mutex::Mutex>::lock');
    // The RFC's examples: a crate-root function, a closure, generic arguments.
    expect(demangleRust('_RNvCs1234_7mycrate3foo')).toBe('mycrate::foo');
    expect(demangleRust('_RNCNvCsgStHSCytQ6I_7mycrate4main0B3_')).toBe('mycrate::main::{closure}');
    expect(demangleRust('_RINvCs1_3std4swapmE')).toBe('std::swap<u32>');
    expect(demangleRust('_RINvNtCs1_4core3mem4swapRShE')).toBe('core::mem::swap<&[u8]>');
  });

  it('reads legacy names, dropping the hash', () => {
    expect(demangleRust('_ZN3std2io5stdio6_print17h0123456789abcdefE')).toBe(
      'std::io::stdio::_print',
    );
    expect(
      demangleRust('_ZN4core3ptr42drop_in_place$LT$alloc..string..String$GT$17h0123456789abcdefE'),
    ).toBe('core::ptr::drop_in_place<alloc::string::String>');
  });

  it('leaves other names and malformed ones unchanged', () => {
    for (const n of ['main', 'mm_malloc', '_RNvX', '_ZN3foo', '_ZN3fooE', '_RB0_']) {
      expect(demangleRust(n)).toBe(n);
    }
  });
});
