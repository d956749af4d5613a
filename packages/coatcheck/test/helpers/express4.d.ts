// express@4 is installed under the alias `express4`, beside express@5; its API is close enough that
// the tests use Express 5's types for it.
declare module 'express4' {
  import express from 'express';
  export default express;
}
