/**
 * `multipart/form-data` image uploads, as DeepStack / CodeProject.AI clients send them: the file part named `image`,
 * else the first file part. The body is the one the server already read (so http.maxBodyBytes bounds it); busboy
 * parses it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import busboy from 'busboy';
import { errorMessage } from '../../errors.js';
import { HttpError } from './http-server.js';

/** The form field DeepStack and CodeProject.AI clients put the image in. */
export const IMAGE_FIELD = 'image';

export interface FormFile {
  field: string;
  filename?: string;
  mimeType: string;
  data: Buffer;
}

export function isMultipartFormData(contentType: string | undefined): boolean {
  return /^multipart\/form-data\b/i.test(contentType ?? '');
}

/** Every file part of a multipart body, in order, and the names of its text fields. */
export function parseMultipart(body: Buffer, headers: IncomingHttpHeaders): Promise<{ files: FormFile[]; fields: string[] }> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers, limits: { fileSize: body.length, fieldSize: body.length } });
  } catch (err) {
    return Promise.reject(new HttpError(400, `not a multipart/form-data body: ${errorMessage(err)}`, 'BAD_MULTIPART'));
  }
  return new Promise((resolve, reject) => {
    // In part order, each resolved when its bytes have all arrived.
    const files: Promise<FormFile>[] = [];
    const fields: string[] = [];
    const malformed = (err: unknown): HttpError => new HttpError(400, `malformed multipart/form-data body: ${errorMessage(err)}`, 'BAD_MULTIPART');
    parser.on('file', (field, stream, info) => {
      files.push(
        new Promise((done, fail) => {
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', (err) => fail(malformed(err)));
          stream.on('end', () => done({ field, ...(info.filename !== undefined ? { filename: info.filename } : {}), mimeType: info.mimeType, data: Buffer.concat(chunks) }));
        }),
      );
    });
    parser.on('field', (field) => fields.push(field));
    parser.on('error', (err: unknown) => reject(malformed(err)));
    parser.on('close', () => Promise.all(files).then((all) => resolve({ files: all, fields }), reject));
    parser.end(body);
  });
}

/** The image of a DeepStack-style upload: the file part `image`, else the first file part; 400 when there is none. */
export async function imageFromMultipart(body: Buffer, headers: IncomingHttpHeaders): Promise<FormFile> {
  const { files, fields } = await parseMultipart(body, headers);
  const file = files.find((f) => f.field === IMAGE_FIELD) ?? files[0];
  if (!file) {
    const sent = fields.length > 0 ? `only text fields (${fields.slice(0, 5).map((f) => `"${f}"`).join(', ')})` : 'no parts';
    const hint = fields.includes(IMAGE_FIELD) ? `; "${IMAGE_FIELD}" came as a text field: send it as a file (curl -F ${IMAGE_FIELD}=@photo.jpg)` : '';
    throw new HttpError(
      400,
      `the multipart/form-data body has ${sent}: expected a file part named "${IMAGE_FIELD}" (or any file part) holding a JPEG, PNG, WebP or BMP image${hint}`,
      'NO_IMAGE_PART',
    );
  }
  if (file.data.length === 0) throw new HttpError(400, `the file part "${file.field}" is empty: it must hold the image bytes`, 'EMPTY_BODY');
  return file;
}
