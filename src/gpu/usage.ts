// GPUBufferUsage / GPUMapMode flag values, spelled out: the constants objects are not globals in every Node setup.
export const STORAGE_USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */
export const UNIFORM_USAGE = 0x40 /* UNIFORM */ | 0x08; /* COPY_DST */
export const READ_USAGE = 0x01 /* MAP_READ */ | 0x08; /* COPY_DST */
export const QUERY_RESOLVE_USAGE = 0x200 /* QUERY_RESOLVE */ | 0x04; /* COPY_SRC */
export const MAP_READ = 0x0001;
