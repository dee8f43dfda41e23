/** Test fixture: the API and events shared by rpc_test.ts and rpc_worker.ts. */

/** Methods served by the fixture worker. */
export type WorkerApi = {
  add: { params: { a: number; b: number }; result: number };
  find: { params: { id: string }; result: { id: string } };
  crash: { params: { secret: string }; result: never };
  hang: { params: null; result: never };
  upper: { params: { data: ArrayBuffer }; result: ArrayBuffer };
  probe: { params: null; result: { env: string; read: string; net: string } };
};

/** Events pushed by the fixture worker. */
export type WorkerEvents = {
  handlerAborted: { method: string; reason: string };
  internalError: { method: string; message: string };
};
