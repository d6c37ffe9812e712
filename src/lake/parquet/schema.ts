/**
 * Maps gammaflow column specs to a Parquet schema. Pure: no I/O.
 *
 * | ColumnType   | Parquet                                                           |
 * |--------------|-------------------------------------------------------------------|
 * | `utf8`       | BYTE_ARRAY, logical STRING, converted UTF8                        |
 * | `int32`      | INT32                                                             |
 * | `date32`     | INT32, logical DATE, converted DATE (days since 1970-01-01)       |
 * | `int64`      | INT64, no annotation: epoch-ns stays a plain BIGINT everywhere;   |
 * |              | the unit goes to key-value metadata `gammaflow.units` instead     |
 * | `float64`    | DOUBLE                                                            |
 * | `bool`       | BOOLEAN                                                           |
 * | `list_int32` | 3-level LIST: `<rep> group name (LIST) { repeated group list {    |
 * |              | required int32 element; } }`                                      |
 *
 * `nullable: false` columns are REQUIRED, nullable ones OPTIONAL.
 */
import type { ColumnSpec, ColumnType } from '../../formats/columns.js';
import { ConvertedType, LogicalType, PhysicalType, Repetition, type PhysicalTypeId, type SchemaElement } from './format.js';

/** One leaf column: everything the encoder needs besides the data. */
export interface LeafColumn {
  readonly spec: ColumnSpec;
  readonly physicalType: PhysicalTypeId;
  readonly pathInSchema: readonly string[];
  /** Highest definition level (0 = required flat column). */
  readonly maxDefinitionLevel: number;
  /** Highest repetition level (1 for lists, else 0). */
  readonly maxRepetitionLevel: number;
}

export interface ParquetSchema {
  /** Depth-first schema elements, root first. */
  readonly elements: readonly SchemaElement[];
  /** One per column spec, same order. */
  readonly leaves: readonly LeafColumn[];
}

const PHYSICAL: Readonly<Record<ColumnType, PhysicalTypeId>> = {
  utf8: PhysicalType.BYTE_ARRAY,
  int32: PhysicalType.INT32,
  date32: PhysicalType.INT32,
  int64: PhysicalType.INT64,
  float64: PhysicalType.DOUBLE,
  bool: PhysicalType.BOOLEAN,
  list_int32: PhysicalType.INT32,
};

export function buildSchema(specs: readonly ColumnSpec[]): ParquetSchema {
  const elements: SchemaElement[] = [{ name: 'schema', numChildren: specs.length }];
  const leaves: LeafColumn[] = [];
  for (const spec of specs) {
    const repetition = spec.nullable ? Repetition.OPTIONAL : Repetition.REQUIRED;
    const optionalLevels = spec.nullable ? 1 : 0;
    if (spec.type === 'list_int32') {
      elements.push(
        { name: spec.name, repetition, numChildren: 1, convertedType: ConvertedType.LIST, logicalType: LogicalType.LIST },
        { name: 'list', repetition: Repetition.REPEATED, numChildren: 1 },
        { name: 'element', repetition: Repetition.REQUIRED, type: PhysicalType.INT32 },
      );
      leaves.push({
        spec, physicalType: PhysicalType.INT32, pathInSchema: [spec.name, 'list', 'element'],
        maxDefinitionLevel: optionalLevels + 1, maxRepetitionLevel: 1,
      });
      continue;
    }
    elements.push({ name: spec.name, repetition, type: PHYSICAL[spec.type], ...annotation(spec.type) });
    leaves.push({
      spec, physicalType: PHYSICAL[spec.type], pathInSchema: [spec.name],
      maxDefinitionLevel: optionalLevels, maxRepetitionLevel: 0,
    });
  }
  return { elements, leaves };
}

function annotation(type: ColumnType): Pick<SchemaElement, 'convertedType' | 'logicalType'> {
  switch (type) {
    case 'utf8': return { convertedType: ConvertedType.UTF8, logicalType: LogicalType.STRING };
    case 'date32': return { convertedType: ConvertedType.DATE, logicalType: LogicalType.DATE };
    default: return {};
  }
}

/** Bits needed for levels 0..maxLevel (0 when there are no levels). */
export function levelBitWidth(maxLevel: number): number {
  return maxLevel === 0 ? 0 : 32 - Math.clz32(maxLevel);
}

/** `gammaflow.units` metadata value: JSON object column name → unit, or undefined if no column has a unit. */
export function unitsMetadata(specs: readonly ColumnSpec[]): string | undefined {
  const units: Record<string, string> = {};
  for (const spec of specs) if (spec.unit !== undefined) units[spec.name] = spec.unit;
  return Object.keys(units).length > 0 ? JSON.stringify(units) : undefined;
}
