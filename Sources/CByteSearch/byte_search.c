// The functions are static inline in include/byte_search.h; SwiftPM needs one source file.
