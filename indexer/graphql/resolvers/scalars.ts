import { GraphQLError, GraphQLScalarType, Kind } from "graphql";

function toBigInt(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  throw new GraphQLError(`BigInt must be a whole number as a decimal string, not ${JSON.stringify(value)}`, {
    extensions: { code: "INVALID_ARGUMENT" },
  });
}

/** Whole numbers of any size, as decimal strings on the wire. */
export const BigIntScalar = new GraphQLScalarType({
  name: "BigInt",
  serialize: (v) => toBigInt(v).toString(),
  parseValue: toBigInt,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return toBigInt(ast.value);
    throw new GraphQLError("BigInt must be a whole number or a decimal string", {
      extensions: { code: "INVALID_ARGUMENT" },
    });
  },
});
