import {
  type DescEnum,
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  ScalarType,
} from "@bufbuild/protobuf";

function fieldType(field: DescField): string {
  switch (field.fieldKind) {
    case "scalar":
      return ScalarType[field.scalar].toLowerCase();
    case "enum":
      return field.enum.typeName;
    case "message":
      return field.message.typeName;
    case "list":
      return `repeated ${
        field.listKind === "scalar"
          ? ScalarType[field.scalar].toLowerCase()
          : field.listKind === "enum"
            ? field.enum.typeName
            : field.message.typeName
      }`;
    case "map": {
      const value =
        field.mapKind === "scalar"
          ? ScalarType[field.scalar].toLowerCase()
          : field.mapKind === "enum"
            ? field.enum.typeName
            : field.message.typeName;
      return `map<${ScalarType[field.mapKey].toLowerCase()}, ${value}>`;
    }
  }
}

/** One `rpc` line, as in a .proto file. */
export function describeMethod(method: DescMethod): string {
  const clientStream =
    method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  const serverStream =
    method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
  return `rpc ${method.name}(${clientStream ? "stream " : ""}${method.input.typeName}) returns (${
    serverStream ? "stream " : ""
  }${method.output.typeName});`;
}

/** A service as a .proto `service` block. */
export function describeService(service: DescService): string {
  return [
    `service ${service.typeName} {`,
    ...service.methods.map((method) => `  ${describeMethod(method)}`),
    "}",
  ].join("\n");
}

/** A message as a .proto `message` block (fields only; nested types by name). */
export function describeMessage(message: DescMessage): string {
  return [
    `message ${message.typeName} {`,
    ...message.fields.map(
      (field) =>
        `  ${field.proto.proto3Optional ? "optional " : ""}${fieldType(field)} ${field.name} = ${field.number};`,
    ),
    "}",
  ].join("\n");
}

/** An enum as a .proto `enum` block. */
export function describeEnum(desc: DescEnum): string {
  return [
    `enum ${desc.typeName} {`,
    ...desc.values.map((value) => `  ${value.name} = ${value.number};`),
    "}",
  ].join("\n");
}
