//! The npm build's allocator (feature `js-pump`, wasm32): power-of-two size classes with a free
//! list each, carved from the module's memory as it grows. It replaces the standard library's
//! dlmalloc, which is a third of a page of the module's size, for an allocation pattern that
//! suits it: the machine's values are small and short-lived, and Vec and String grow by doubling,
//! which stays within a class. Allocation and release are O(1). Freed blocks are reused for
//! their class only (no coalescing), so memory peaks at each class's most concurrent use.
//!
//! wasm32 in a browser page is single-threaded, which is what makes the unsynchronised state sound.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 65_536;
/// The smallest class: 16 bytes (two words of free-list link room, the largest wasm alignment).
const SMALLEST: u32 = 4;
const CLASSES: usize = 32;
/// Blocks are aligned to their size up to this, which covers every alignment Rust asks for here.
const MAX_ALIGN: usize = 4096;

extern "C" {
    /// Where the linker put the start of the heap.
    static __heap_base: u8;
}

struct State {
    /// The first free block of each class (0: none); a free block's first word links the next.
    free: [usize; CLASSES],
    /// The next byte never handed out, and the end of the memory.
    next: usize,
    end: usize,
}

/// The allocator.
pub struct SizeClasses(UnsafeCell<State>);

// SAFETY: wasm32-unknown-unknown without the atomics feature runs one thread.
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    /// An allocator that starts at the heap's base on its first allocation.
    pub const fn new() -> Self {
        SizeClasses(UnsafeCell::new(State {
            free: [0; CLASSES],
            next: 0,
            end: 0,
        }))
    }
}

impl Default for SizeClasses {
    fn default() -> Self {
        SizeClasses::new()
    }
}

/// The class of `layout`: the power of two that holds both its size and its alignment.
fn class(layout: Layout) -> Option<usize> {
    let size = layout
        .size()
        .max(layout.align())
        .checked_next_power_of_two()?;
    let class = size.trailing_zeros().max(SMALLEST);
    usize::try_from(class).ok().filter(|c| *c < CLASSES)
}

impl State {
    /// A block of class `c` from never-used memory, growing the memory when needed.
    fn carve(&mut self, c: usize) -> *mut u8 {
        if self.end == 0 {
            // Only the symbol's address is taken, which needs no `unsafe`.
            self.next = core::ptr::addr_of!(__heap_base) as usize;
            self.end = wasm32::memory_size(0).saturating_mul(PAGE);
        }
        let size = 1usize << c;
        let align = size.min(MAX_ALIGN);
        let Some(start) = self.next.checked_add(align - 1).map(|n| n & !(align - 1)) else {
            return null_mut();
        };
        let Some(stop) = start.checked_add(size) else {
            return null_mut();
        };
        if stop > self.end {
            let pages = (stop - self.end).div_ceil(PAGE);
            if wasm32::memory_grow(0, pages) == usize::MAX {
                return null_mut();
            }
            self.end = self.end.saturating_add(pages.saturating_mul(PAGE));
        }
        self.next = stop;
        start as *mut u8
    }
}

// SAFETY: blocks never overlap: each is either carved once from fresh memory or taken off its
// class's free list, where only released blocks of that class are put.
unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(c) = class(layout) else {
            return null_mut();
        };
        // SAFETY: single-threaded (see the `Sync` impl), and no reference to the state outlives
        // this call.
        let state = unsafe { &mut *self.0.get() };
        let Some(head) = state.free.get_mut(c) else {
            return null_mut();
        };
        if *head == 0 {
            return state.carve(c);
        }
        let block = *head;
        // SAFETY: `block` is a released block of this class: its first word is the next link.
        *head = unsafe { *(block as *const usize) };
        block as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(c) = class(layout) else { return };
        // SAFETY: as in `alloc`.
        let state = unsafe { &mut *self.0.get() };
        if let Some(head) = state.free.get_mut(c) {
            // SAFETY: `ptr` is a block of this class that its owner gave back (at least 16 bytes).
            unsafe { *(ptr as *mut usize) = *head };
            *head = ptr as usize;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return null_mut();
        };
        if class(layout) == class(new_layout) {
            return ptr;
        }
        // SAFETY: the contract of `GlobalAlloc::realloc`, as the default method does it.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}
