package org.shadowref.arch;

import org.shadowref.arch.qual.Gfn;
import org.shadowref.arch.qual.Gpa;
import org.shadowref.arch.qual.Gva;
import org.shadowref.arch.qual.Maddr;
import org.shadowref.arch.qual.Mfn;

/**
 * The only doors between plain numbers and typed addresses. Each conversion that changes the
 * kind of an address (gfn to gpa, mfn to machine address) is a named method here, so a reader
 * can find every place an address space is crossed by searching for its name.
 */
public final class Addr {
  public static final int PAGE_SHIFT = 12;
  public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
  public static final long OFFSET_MASK = PAGE_SIZE - 1;

  private Addr() {}

  @SuppressWarnings("subtyping") // the declared entry point for guest-virtual addresses
  public static @Gva long gva(long value) {
    return value;
  }

  @SuppressWarnings("subtyping") // the declared entry point for guest-physical addresses
  public static @Gpa long gpa(long value) {
    return value;
  }

  @SuppressWarnings("subtyping") // the declared entry point for guest frame numbers
  public static @Gfn long gfn(long value) {
    return value;
  }

  @SuppressWarnings("subtyping") // the declared entry point for machine frame numbers
  public static @Mfn long mfn(long value) {
    return value;
  }

  @SuppressWarnings("subtyping") // the declared entry point for machine addresses
  public static @Maddr long maddr(long value) {
    return value;
  }

  public static @Gfn long gfnOf(@Gpa long gpa) {
    return gfn(gpa >>> PAGE_SHIFT);
  }

  public static @Gpa long gpaOf(@Gfn long gfn, long offset) {
    return gpa((gfn << PAGE_SHIFT) | (offset & OFFSET_MASK));
  }

  public static @Mfn long mfnOf(@Maddr long maddr) {
    return mfn(maddr >>> PAGE_SHIFT);
  }

  public static @Maddr long maddrOf(@Mfn long mfn, long offset) {
    return maddr((mfn << PAGE_SHIFT) | (offset & OFFSET_MASK));
  }

  public static long pageOffset(long address) {
    return address & OFFSET_MASK;
  }

  public static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }
}
