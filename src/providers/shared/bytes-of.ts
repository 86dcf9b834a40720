/** An upload's bytes in memory, for the SDKs that take only bytes (Bedrock's records are rewritten; Mistral's form). */
export async function bytesOf(data: Buffer | Blob): Promise<Buffer> {
  return data instanceof Blob ? Buffer.from(await data.arrayBuffer()) : data;
}
