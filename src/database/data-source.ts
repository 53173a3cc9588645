import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseUrl } from '../config/database-url';
import { dataSourceOptions } from './data-source-options';

/** Used by the TypeORM CLI (migration:run, migration:generate). */
export default new DataSource(dataSourceOptions(loadDatabaseUrl(process.env)));
