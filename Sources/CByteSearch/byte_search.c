// byte_search.h's functions are static inline; byte_classes.c holds the compiled ones.
