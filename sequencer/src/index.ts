/**
 * @verity/sequencer: the NestJS job API. Other parts reach it over HTTP only; this entry exists for the process
 * that boots it (`npm run start:sequencer`, the CLI's `start`) and for its tests.
 */
export { AppModule, configureApp } from './app.module';
export { loadSequencerConfig, type SequencerConfig } from './config/config';
